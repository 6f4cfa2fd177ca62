"""Exceptions raised by pylcc, carrying libcoolbpf's own message."""


class LccError(Exception):
    """Any pylcc failure. ``errno`` is the positive errno when known."""

    def __init__(self, message, errno=None):
        super().__init__(message)
        self.errno = errno


class CompileError(LccError):
    """The BPF source did not compile; the message holds clang's diagnostics."""


class LoadError(LccError):
    """The object could not be opened or loaded (verifier, missing hook, BTF...)."""


class AttachError(LccError):
    """A program could not be attached (missing tracepoint, function, ...)."""
