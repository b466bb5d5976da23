"""Mutation testing of app/ with mutmut: `./nazar mutants [--all] [--jobs N] [module ...]`.

mutmut (configured in pyproject.toml, [tool.mutmut]) changes the code one small step at a
time (a `<` becomes `<=`, a constant changes, a call is dropped, ...) and runs the tests that
reach the changed function. A test suite that still passes has let that mutant *survive*: a
change in behaviour that no test would notice. This runs mutmut over the chosen modules
(default: the `only_mutate` list in pyproject.toml; `--all`: every module of app/; or the
modules named, e.g. `urls` or `app/urls.py`), re-testing every mutant of them (no verdict
is reused from an earlier run: the tests may have changed since; `--survivors` tests again
only those the last run did not kill, `--resume` only those an interrupted run did not
reach), then prints the kill rate per module and where the details are. Exit status 0 when
every module reached `--target` (default 80 %), 1 otherwise, 2 on a usage or set-up error.

Run it from the repository root (./nazar does). Results stay in mutants/ (git-ignored):
`mutants/app/<module>.py.meta` per module, and mutants/mutation-results.txt (one line per
mutant that was not killed); `mutmut show <name>` (from the repository root, with the venv's
mutmut) prints a mutant's diff, `mutmut browse` browses them.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path("mutants") / "mutation-results.txt"
# Kill rate = (killed + timeout) / mutants. A mutant that makes the tests hang is caught too.
KILLED = {"killed", "timeout", "caught by type check"}


def _module_path(name: str) -> str:
    """`urls`, `app.urls`, `app/urls.py` -> `app/urls.py`."""
    name = name.strip()
    if name.endswith(".py"):
        path = name
    else:
        path = name.replace(".", "/") + ".py"
    if not path.startswith("app/"):
        path = "app/" + path
    return path


def _status_counts(meta_path: Path) -> tuple[dict[str, int], list[str]]:
    from mutmut.stats import status_by_exit_code

    exit_codes = json.loads(meta_path.read_text(encoding="utf-8"))["exit_code_by_key"]
    counts: dict[str, int] = {}
    not_killed = []
    for key, code in sorted(exit_codes.items()):
        status = status_by_exit_code[code]
        counts[status] = counts.get(status, 0) + 1
        if status not in KILLED:
            not_killed.append(f"{key}: {status}")
    return counts, not_killed


def _sample(modules: list[str], n: int, rng: random.Random) -> list[str] | None:
    """N random mutants of each module; every other verdict of the module is forgotten, so
    that the kill rate is the sample's."""
    names = []
    for module in modules:
        meta = Path("mutants") / f"{module}.meta"
        if not meta.exists():
            print(f"{module} has no mutants yet: run it once without --sample",
                  file=sys.stderr)
            return None
        data = json.loads(meta.read_text(encoding="utf-8"))
        keys = sorted(data["exit_code_by_key"])
        names += keys if len(keys) <= n else rng.sample(keys, n)
        data["exit_code_by_key"] = dict.fromkeys(keys)
        meta.write_text(json.dumps(data, indent=4), encoding="utf-8")
    return names


def report(modules: list[str], target: float) -> bool:
    """Print the table; write the survivors list. True when every module met `target`."""
    rows = []
    lines = []
    ok = True
    unchecked = 0
    for module in modules:
        meta = Path("mutants") / f"{module}.meta"
        if not meta.exists():
            rows.append((module, "-", "-", "-", "-", "-", "-", "no results"))
            ok = False
            continue
        counts, not_killed = _status_counts(meta)
        total = sum(counts.values())
        tested = total - counts.get("not checked", 0)
        killed = sum(n for s, n in counts.items() if s in KILLED)
        rate = 100.0 * killed / tested if tested else 0.0
        ok = ok and tested > 0 and rate >= target
        unchecked += total - tested
        rows.append((module, str(total), str(tested), str(killed),
                     str(counts.get("survived", 0)), str(counts.get("timeout", 0)),
                     str(counts.get("no tests", 0)), f"{rate:.1f} %"))
        lines += [line for line in not_killed if not line.endswith(": not checked")]
    RESULTS.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    head = ("module", "mutants", "tested", "killed", "survived", "timeout", "no tests",
            "kill rate")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))
    print(f"\nkill rate = killed (timeouts included) / tested; a mutant no selected test "
          f"reaches counts as not killed. Target {target:.0f} %. {date.today().isoformat()}.")
    if unchecked:
        print(f"{unchecked} mutants not tested (--sample, or an interrupted run): where "
              "tested < mutants the rate is an estimate from those tested.")
    print(f"Mutants not killed: {RESULTS} (`mutmut show NAME` shows one's diff); "
          f"per-module verdicts: mutants/app/<module>.py.meta")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nazar mutants", description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="modules of app/ (default: [tool.mutmut] "
                        "only_mutate in pyproject.toml)")
    parser.add_argument("--all", action="store_true", help="every module of app/")
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                        help="mutants tested at once (default: half the cores)")
    parser.add_argument("--target", type=float, default=80.0, help="kill rate to reach, %%")
    parser.add_argument("--report", action="store_true",
                        help="only print the table of the last run's results")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="test a random sample of N mutants per module (the kill rate is "
                        "then an estimate; needs the mutants of an earlier run)")
    parser.add_argument("--seed", type=int, default=1, help="for --sample")
    parser.add_argument("--survivors", action="store_true",
                        help="test again only the mutants the last run did not kill (after "
                        "adding tests: a mutant once killed stays killed while tests are only "
                        "added)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the verdicts of an interrupted run; test only the mutants "
                        "it did not reach (verdicts may be older than the tests)")
    args = parser.parse_args(argv)
    os.chdir(ROOT)  # mutmut reads ./pyproject.toml and writes ./mutants

    try:
        from mutmut import configuration
        from mutmut.__main__ import cli
    except ImportError:
        print("mutmut is not installed: pip install -e '.[mutants]' (./nazar mutants does it)",
              file=sys.stderr)
        return 2
    cfg = configuration.config()
    if args.all:
        modules = sorted(str(p) for p in Path("app").glob("*.py") if p.name != "__init__.py")
    elif args.modules:
        modules = [_module_path(m) for m in args.modules]
    else:
        modules = list(cfg.only_mutate)
    missing = [m for m in modules if not Path(m).is_file()]
    if missing:
        print(f"no such module: {', '.join(missing)}", file=sys.stderr)
        return 2
    cfg.only_mutate = modules
    # Test files listed in the selection that do not exist (yet) are left out, not an error.
    cfg.pytest_add_cli_args_test_selection = [
        t for t in cfg.pytest_add_cli_args_test_selection if Path(t.split("::")[0]).exists()]

    if not args.report:
        print(f"mutating {len(modules)} module(s): {', '.join(modules)}", flush=True)
        for m in modules:
            # mutmut regenerates a module's mutants only when the source is newer than its
            # copy in mutants/; a copy made while the module was not selected is plain code.
            copy = Path("mutants") / m
            if copy.exists() and "_mutmut_" not in copy.read_text(encoding="utf-8"):
                copy.unlink()
        # Named, every mutant is tested again; unnamed, mutmut tests only those without a
        # verdict (and those of functions changed since).
        names = [] if args.resume else [m[:-3].replace("/", ".") + ".*" for m in modules]
        if args.survivors:
            names = [line.split(": ")[0] for m in modules
                     if (Path("mutants") / f"{m}.meta").exists()
                     for line in _status_counts(Path("mutants") / f"{m}.meta")[1]
                     if not line.endswith(": not checked")]
            if not names:
                print("no survivors to test again")
                return 0 if report(modules, args.target) else 1
        if args.sample:
            names = _sample(modules, args.sample, random.Random(args.seed))
            if names is None:
                return 2
        # Which tests reach which function is measured afresh at every run: mutmut keeps it
        # only for the modules of its last run, and would call the others' mutants untested.
        (Path("mutants") / "mutmut-stats.json").unlink(missing_ok=True)
        try:
            cli(["run", "--max-children", str(args.jobs), *names], standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                print(f"mutmut stopped (exit status {exc.code}): see its output above",
                      file=sys.stderr)
                return 2
        print(flush=True)
    return 0 if report(modules, args.target) else 1


if __name__ == "__main__":
    sys.exit(main())
