"""Process lifetime: a uvicorn worker must not outlive its master."""

import ctypes
import multiprocessing
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_uvicorn_master() -> None:
    """In a uvicorn worker process (`--workers N`), have the kernel SIGKILL this process when
    its master dies. Without it a SIGKILLed master leaves its workers holding the listening
    socket, and the supervisor's restarted backend cannot bind the port. No-op in a single
    process server (its parent is the supervisor, whose death must not stop it) and off Linux.
    """
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # The master may have died before the prctl call: then nobody would send the signal.
    if os.getppid() != parent.pid:
        os.kill(os.getpid(), signal.SIGKILL)
