"""Process, thread and machine counters from /proc (Linux), and small statistics helpers.

Nothing here imports Qt or OpenCV: the bare-decode process uses it too.
"""
from __future__ import annotations

import math
import os
import resource
import threading
from array import array

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * PAGE / 2**20


def os_threads(pid: int | str = "self") -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return threading.active_count()


def cpu_seconds() -> float:
    """CPU (user + system) of this process so far, all threads."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def rusage() -> dict[str, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"user": ru.ru_utime, "sys": ru.ru_stime, "minflt": float(ru.ru_minflt),
            "nvcsw": float(ru.ru_nvcsw), "nivcsw": float(ru.ru_nivcsw)}


def _stat_cpu(path: str) -> float | None:
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def process_cpu(pid: int) -> float | None:
    """CPU seconds of another process (e.g. the RTSP server); None if it is gone."""
    return _stat_cpu(f"/proc/{pid}/stat")


def thread_cpu(tid: int, pid: int | str = "self") -> float | None:
    return _stat_cpu(f"/proc/{pid}/task/{tid}/stat")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over all CPUs."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    ticks = [int(x) for x in parts[:8]]  # user nice system idle iowait irq softirq steal
    total = sum(ticks)
    busy = total - ticks[3] - ticks[4] - ticks[7]  # steal: the hypervisor's, not ours
    return busy / CLK_TCK, total / CLK_TCK


def cpu_count() -> int:
    return len(os.sched_getaffinity(0))


class CpuWindow:
    """CPU used between start() and stop(): this process, its main thread, another process
    (the RTSP server) and the whole machine."""

    def __init__(self, other_pid: int | None = None):
        self.other_pid = other_pid

    def _read(self) -> dict[str, float | None]:
        busy, total = machine_busy()
        ru = rusage()
        return {"self": ru["user"] + ru["sys"], "main": thread_cpu(os.getpid()),
                "other": process_cpu(self.other_pid) if self.other_pid else None,
                "busy": busy, "total": total, "user": ru["user"], "sys": ru["sys"],
                "minflt": ru["minflt"], "csw": ru["nvcsw"] + ru["nivcsw"]}

    def start(self) -> None:
        self._a = self._read()

    def stop(self) -> dict[str, float | None]:
        b = self._read()
        a = self._a

        def d(k: str) -> float | None:
            return None if a[k] is None or b[k] is None else b[k] - a[k]

        return {"process_cpu_s": d("self"), "main_thread_cpu_s": d("main"),
                "server_cpu_s": d("other"), "machine_busy_s": d("busy"),
                "machine_total_s": d("total"), "user_s": d("user"), "sys_s": d("sys"),
                "page_faults": d("minflt"), "context_switches": d("csw")}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


class Histogram:
    """Fixed-memory histogram of durations, filled with `append(seconds)`.

    A soak run records hundreds of thousands of latencies: a list of floats would grow the
    very RSS the benchmark measures (about 32 bytes per value). Bins of `resolution_ms` up
    to `max_ms`; larger values count in the last bin (and in `max_ms_seen`).
    """

    def __init__(self, resolution_ms: float = 0.1, max_ms: float = 5000.0):
        self.resolution_ms = resolution_ms
        self.bins = int(max_ms / resolution_ms) + 1
        self.counts = array("q", bytes(8 * self.bins))  # allocated up front
        self.n = 0
        self.max_ms_seen = 0.0

    def append(self, seconds: float) -> None:
        ms = seconds * 1000.0
        i = int(ms / self.resolution_ms) if ms > 0 else 0
        self.counts[i if i < self.bins else self.bins - 1] += 1
        self.n += 1
        if ms > self.max_ms_seen:
            self.max_ms_seen = ms

    def append_ms(self, ms: float) -> None:
        self.append(ms / 1000.0)

    def __len__(self) -> int:
        return self.n

    def percentile(self, q: float) -> float:
        """In milliseconds (bin centre); NaN when empty."""
        if self.n == 0:
            return float("nan")
        rank = q * (self.n - 1)
        seen = 0
        for i, c in enumerate(self.counts):
            seen += c
            if c and seen > rank:
                return (i + 0.5) * self.resolution_ms
        return self.max_ms_seen

    def summary(self) -> dict[str, float]:
        return {"n": self.n, "p50": self.percentile(0.5), "p90": self.percentile(0.9),
                "p99": self.percentile(0.99), "max": self.max_ms_seen if self.n else float("nan")}
