"""The `csp` command line: ingest, validate, status, demo, run, serve."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # A fresh PREFECT_HOME runs migrations before the temporary server answers (~12 s, more on a busy machine).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


def _print_report(lines: list[str]) -> None:
    for line in lines:
        print(line)


def cmd_ingest(args: argparse.Namespace) -> int:
    _quiet_prefect()
    from flows.ingest import ingest_flow
    from warehouse.config import load_settings

    settings = load_settings(area=args.area)
    paths = [str(Path(p).resolve()) for p in args.paths] or None
    result = ingest_flow(paths=paths, source=args.source, area=settings.area)
    _print_report(result["outcomes"])
    refused = sum(1 for line in result["outcomes"] if line.startswith("REFUSED"))
    print(f"\nWarehouse: {settings.warehouse_path}")
    if refused:
        print(f"{refused} file(s) refused and kept in {settings.quarantine} with a report (.errors.html / .errors.json).")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from warehouse.config import load_settings
    from warehouse.ingest import discover
    from warehouse.pipeline import validate_files

    settings = load_settings()
    report = validate_files(settings, discover([Path(p) for p in args.paths]), source=args.source)
    _print_report([o.line() for o in report.outcomes])
    for outcome in report.refused:
        for sentence in outcome.verdict.sentences()[1:]:
            print(f"            {sentence}")
    return 1 if report.refused else 0


def cmd_status(args: argparse.Namespace) -> int:
    from warehouse.config import load_settings
    from warehouse.status import render_status

    print(render_status(load_settings(area=args.area)))
    return 0


def print_run_summary(settings) -> None:
    """What a newcomer needs after a run: where, how much, what was placed, what was refused."""
    from warehouse.publish import connect_read_only
    from warehouse.status import loaded_summary, placement_summary

    with connect_read_only(settings.warehouse_path) as con:
        print(f"\nWarehouse: {settings.warehouse_path}")
        print(f"{'source':<28} {'rows loaded':>12}  periods")
        for source, files, n_rows, first, last, _ in loaded_summary(con):
            if files:
                span = f"{first} to {last}" if first and first != last else (first or "(reference, no period)")
                print(f"{source:<28} {n_rows:>12,}  {span}")
        placed = placement_summary(con, settings.area)
        if placed:
            print(f"\npolice_street rows placed in {settings.area}: {placed['rows_in_area']:,} of {placed['rows_total']:,} "
                  f"({placed['rows_without_location'] + placed['rows_unplaced']:,} could not be placed in any area)")
        refused = con.execute("""select file_name, reason, quarantine_path from audit.files where status = 'quarantined'
                                 order by file_id""").fetchall()
    if refused:
        print(f"\nQuarantined ({len(refused)}):")
        for _, reason, kept in refused:
            print(f"  {reason}\n    kept at {kept} (+ .errors.html)")
    else:
        print("\nQuarantined: none")


def cmd_demo(args: argparse.Namespace) -> int:
    _quiet_prefect()
    from flows.ingest import ingest_flow
    from warehouse.config import load_settings

    settings = load_settings()
    real = settings.real_dir
    paths = [real / "ons" / name for name in (
        "jtrim_csv_135_LSOA11_WD19_LAD19_EW_LU.csv", "jtrim_csv_056_WD19_LAD19_UK_LU.csv", "drkane_la_all_codes.csv",
        "drkane_boundaries_lsoa_E07000110.geojson", "drkane_boundaries_lsoa11_E07000110.geojson")] + [real / "police_uk"]
    ingest_flow(paths=[str(p) for p in paths])
    print_run_summary(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csp", description="Community Safety Partnership indicator pipeline")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="check and load files or folders into the warehouse")
    ingest.add_argument("paths", nargs="*", help="files or folders (default: $CSP_DATA/inbox)")
    ingest.add_argument("--source", help="source name, when it cannot be recognised from the header")
    ingest.add_argument("--area", help="district code of the CSP (default $CSP_AREA or E07000110)")
    ingest.set_defaults(func=cmd_ingest)

    validate = sub.add_parser("validate", help="check files only: same messages, nothing loaded")
    validate.add_argument("paths", nargs="+")
    validate.add_argument("--source")
    validate.set_defaults(func=cmd_validate)

    demo = sub.add_parser("demo", help="build the demo warehouse")
    demo.set_defaults(func=cmd_demo)

    status = sub.add_parser("status", help="what is loaded and refused, per source and period")
    status.add_argument("--area")
    status.set_defaults(func=cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, KeyError, ValueError) as error:
        message = error.args[0] if error.args else str(error)
        print(f"csp: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
