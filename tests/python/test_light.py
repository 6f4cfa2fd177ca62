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
    ctypes (0.7 MB resident) is left for symbols, attach by hand and perf
    events"""
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


def test_map_access_and_histograms_import_no_ctypes_through_the_extension():
    """A cpudist-style tool (hash, array and histogram maps read, written,
    deleted, printed): every call through the extension, ctypes never
    imported; through ctypes (PYLCC_CTYPES=1) the same results"""
    if os.geteuid() != 0:
        import pytest
        pytest.skip("loads a BPF program: root needed")
    code = r'''
import os, sys
from pylcc import Program, _lib
p = Program(r"""
#include "lbc.h"
LBC_HASH(h, u32, u64, 64);
LBC_PERCPU_ARRAY(pa, u32, u64, 2);
LBC_HIST2(dist);
SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
    u32 k = 1;
    u64 *v = bpf_map_lookup_elem(&pa, &k);

    if ((bpf_get_current_pid_tgid() >> 32) != TARGET)
        return 0;
    if (v)
        *v += 1;
    hist2_push(&dist, 100);
    return 0;
}
char _license[] SEC("license") = "GPL";
""", name="light_maps", defines={"TARGET": os.getpid()})
for _ in range(5):
    os.getppid()
h = p.maps["h"]
h[7] = 70
h[8] = 80
del h[8]
print(_lib.backend.name, "ctypes" in sys.modules, sorted(h.items()), 8 in h,
      sum(p.maps["pa"].getKeyValue(1)), sum(p.maps["dist"].get()),
      p.maps["dist"].hist().buckets)
p.maps["dist"].showHist("hist:")
h.clear()
print(len(h), "ctypes" in sys.modules)
'''
    env = dict(os.environ, PYTHONPATH=PY)
    env.pop("PYLCC_CTYPES", None)
    runs = []
    for ctypes_env in (None, "1"):
        if ctypes_env:
            env["PYLCC_CTYPES"] = ctypes_env
        r = subprocess.run([sys.executable, "-S", "-c", code], env=env, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr[-3000:]
        runs.append(r.stdout.splitlines())
    ext, cty = runs
    assert ext[0] == ("extension False [(7, 70)] False 5 5 [(64, 127, 5)]"), ext
    assert cty[0].replace("ctypes True", "extension False", 1) == ext[0], cty
    assert ext[1] == "hist:" and "64 -> 127" in ext[3] and ": 5 " in ext[3], ext
    assert ext[1:-1] == cty[1:-1]
    assert ext[-1] == "0 False" and cty[-1] == "0 True", (ext, cty)
