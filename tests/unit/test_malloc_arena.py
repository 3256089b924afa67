"""`share_malloc_arena`: threads started after it allocate from glibc's existing arenas, not one each."""

from __future__ import annotations

import ctypes
import re
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent("""
    import ctypes, re, sys, threading
    if sys.argv[1] == "share":
        from aiops_tui import share_malloc_arena
        share_malloc_arena()
    kept = []

    def allocate():
        kept.append([bytes(2000) for _ in range(500)])  # past pymalloc's 512 bytes: glibc's malloc

    threads = [threading.Thread(target=allocate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    libc = ctypes.CDLL(None)
    libc.fopen.restype, libc.fopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes, libc.fclose.argtypes = [ctypes.c_int, ctypes.c_void_p], [ctypes.c_void_p]
    out = libc.fopen(sys.argv[2].encode(), b"w")
    libc.malloc_info(0, out)
    libc.fclose(out)
""")


def arenas(tmp_path, mode: str) -> int:
    info = tmp_path / f"{mode}.xml"
    subprocess.run([sys.executable, "-c", PROBE, mode, str(info)], check=True)
    return len(re.findall(r'<heap nr="\d+">', info.read_text()))


@pytest.mark.skipif(not hasattr(ctypes.CDLL(None), "malloc_info"), reason="glibc only")
def test_threads_after_it_share_the_arenas_there_are(tmp_path):
    assert arenas(tmp_path, "own") > 1  # each allocating thread its own arena, as glibc does by default
    assert arenas(tmp_path, "share") == 1
