"""pylcc stays light: nothing imported or mapped before it is needed."""
import json
import os
import subprocess
import sys

from pylcc.decode import Struct, loads

HEAVY = ["re", "json", "enum", "threading", "signal", "subprocess", "ctypes.util", "platform",
         "shlex", "collections", "tempfile"]
PY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                  "python")


def _probe(stmt):
    code = ("import sys\n%s\nheavy = %r\n"
            "print(' '.join(m for m in heavy if m in sys.modules))\n"
            "print(int(any('libcoolbpf' in l for l in open('/proc/self/maps'))))" % (stmt, HEAVY))
    env = dict(os.environ, PYTHONPATH=PY)
    # -S: no site hooks of this machine importing modules of their own
    out = subprocess.run([sys.executable, "-S", "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.splitlines()
    return out[0].split(), out[1] == "1"


def test_import_pylcc_loads_nothing():
    heavy, mapped = _probe("import pylcc")
    assert heavy == []
    assert not mapped, "import pylcc mapped libcoolbpf before any use"


def test_original_api_imports_no_heavy_module():
    heavy, mapped = _probe("from pylcc.lbcBase import ClbcBase, CeventThread\n"
                           "from pylcc.lbcMaps import CmapsEvent")
    assert heavy == []
    assert mapped


def test_a_tool_imports_no_ctypes_through_the_extension():
    """pylcc's extension (_coolbpf.c, built by make) carries a tool's calls:
    ctypes (0.7 MB resident) is left for map access by key, symbols and
    attach by hand"""
    code = ("import sys\nfrom pylcc.lbcBase import ClbcBase, CeventThread\nfrom pylcc import _lib\n"
            "print(_lib.backend.name, 'ctypes' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=PY)
    env.pop("PYLCC_CTYPES", None)
    out = subprocess.run([sys.executable, "-S", "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    assert out == ["extension", "False"], out
    env["PYLCC_CTYPES"] = "1"
    out = subprocess.run([sys.executable, "-S", "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    assert out == ["ctypes", "True"], out


def test_lazy_names_resolve():
    import pylcc
    assert pylcc.Program.__name__ == "Program"
    assert pylcc.Struct is Struct
    assert "Program" in dir(pylcc)
    try:
        pylcc.NoSuchName
    except AttributeError as e:
        assert "NoSuchName" in str(e)
    else:
        raise AssertionError("pylcc.NoSuchName did not raise")


def test_scanner_matches_json():
    text = ('{"a": 1, "b": [1, 2.5, -3e2, true, false, null], "c": {"d": "x\\u00e9\\n"},'
            ' "e": 18446744073709551615, "f": NaN}  ')
    got = loads(text, object_hook=Struct)
    want = json.loads(text, object_hook=Struct)
    assert got["f"] != got["f"]  # NaN
    got.pop("f"), want.pop("f")
    assert got == want
    assert isinstance(got.c, Struct) and got.c.d == "x\u00e9\n"
    for bad in ('{"a": 1} x', '{"a": }'):
        try:
            loads(bad)
        except ValueError:
            continue
        raise AssertionError("%r parsed" % bad)
