"""The `csp` command line: ingest, validate, status, demo, run, assess, serve, quarantine purge."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from cli.serve import add_arguments as add_serve_arguments
from cli.serve import run as run_serve
from cli.status import loaded_summary, placement_summary, render_status
from transforms.definitions import Plan, project_definitions
from warehouse.config import Settings, load_settings
from warehouse.publish import connect_read_only

# Function-level imports below are deliberate: Prefect (flows.*) takes
# seconds to import and the checking stack (warehouse.ingest / pipeline: pandas, pyarrow, the
# validation engines) most of a second, so `csp status` and `csp --help` stay fast.


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
    from flows.ingest import ingest_flow  # lazy: imports Prefect (seconds)

    settings = load_settings(area=args.area)
    paths = [str(Path(p).resolve()) for p in args.paths] or None
    result = ingest_flow(paths=paths, source=args.source, area=settings.area, period=args.period)
    _print_report(result["outcomes"])
    refused, failed = result["refused"], result["failed"]
    print(f"\nWarehouse: {settings.warehouse_path}")
    if refused:
        print(f"{refused} file(s) refused and kept in {settings.quarantine} with a report (.errors.html / .errors.json).")
    if failed:
        print(f"{failed} file(s) could not be loaded because of a system error; they stay where they are and are retried.")
    # Exit 1 when anything was refused or failed (the other files were loaded): scripts must see it.
    return 1 if refused or failed else 0


def cmd_validate(args: argparse.Namespace) -> int:
    from warehouse.ingest import discover  # lazy: the checking stack (pandas, pyarrow, engines)
    from warehouse.pipeline import validate_files  # lazy: as above

    settings = load_settings()
    report = validate_files(settings, discover([Path(p) for p in args.paths]), source=args.source, period=args.period)
    _print_report([o.line() for o in report.outcomes])
    for outcome in report.refused:
        for sentence in outcome.verdict.sentences()[1:]:
            print(f"            {sentence}")
    return 1 if report.refused else 0


def cmd_status(args: argparse.Namespace) -> int:
    print(render_status(load_settings(area=args.area)))
    return 0


def print_run_summary(settings: Settings) -> None:
    """What a newcomer needs after a run: where, how much, what was placed, what was refused."""

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
    os.environ["CSP_DEMO"] = "1"  # the demo's person keys are hashed with the public demo key
    from demo.generator import (
        generate_demo_inbox,  # lazy: numpy + xlsxwriter, only the demo needs them
    )
    from flows.monthly import monthly_flow  # lazy: imports Prefect (seconds)

    settings = load_settings()
    _, _, plans = project_definitions()
    plan_year = max(plans)  # what monthly_flow runs by default
    plan = plans[plan_year]
    priority_id = args.priority or headline_priority(plan)
    if priority_id not in {priority.id for priority in plan.priorities}:
        known = ", ".join(priority.id for priority in plan.priorities)
        print(f"Priority '{priority_id}' is not in the {plan_year} plan (priorities: {known}).", file=sys.stderr)
        return 2
    settings.ensure_dirs()
    print(f"Writing the demo inbox (Maidstone, as on 5 March 2018) to {settings.inbox} ...")
    summary = generate_demo_inbox(settings.inbox, settings.real_dir, with_faults=args.with_faults)
    files = sum(v["files"] for k, v in summary.items() if k != "faults")
    print(f"  {files} files for {len([k for k in summary if k != 'faults'])} sources"
          + (f", plus {len(summary['faults'])} broken files" if summary.get("faults") else ""))
    print("Running the monthly flow ...")
    result = monthly_flow(period="latest")
    print_run_summary(settings)
    print_indicator_table(settings, result["plan_year"], priority_id)
    print(f"\nPeriod: {result['period']}   Plan year: {result['plan_year']}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    _quiet_prefect()
    from flows.monthly import monthly_flow  # lazy: imports Prefect (seconds)

    if args.area and (args.area == "all-in-force" or "," in args.area):
        from flows.force import force_flow  # lazy: imports Prefect (seconds)

        settings = load_settings()
        result = force_flow(areas=args.area, period=args.period or "latest", plan_year=args.plan_year,
                            use_deployments=args.use_deployments, full_refresh=args.full_refresh)
        for item in result["results"]:
            where = "a worker's flow run" if args.use_deployments else "a flow run here"
            print(f"  area {item['area']}: {item['files']} report files in {item['reports_dir']} ({where} "
                  f"{item['flow_run_id']})")
        print(f"\n{len(result['areas'])} areas; indicator rows: {result['indicators']['indicator_values']:,}; "
              f"peer rows: {result['peers'].get('indicator_peers', 0):,}; period {result['period']}; "
              f"warehouse {settings.warehouse_path}")
        return 0
    settings = load_settings(area=args.area)
    result = monthly_flow(period=args.period or "latest", plan_year=args.plan_year, area=settings.area,
                          full_refresh=args.full_refresh)
    _print_report([line for line in result["outcomes"] if not line.startswith("unchanged")])
    print_run_summary(settings)
    print(f"\nPeriod: {result['period']}   Plan year: {result['plan_year']}")
    return 0


def cmd_assess(args: argparse.Namespace) -> int:
    _quiet_prefect()
    from flows.assess import assess_flow  # lazy: imports Prefect (seconds)
    from reporting.assessment import check_plan_year

    settings = load_settings(area=args.area)
    result = assess_flow(plan_year=check_plan_year(args.year), area=settings.area, window_end=args.window_end)
    window = result["window"]
    print(f"Strategic Assessment {result['plan_year']} for {settings.area}, {window.label}")
    total = f"{result['total']:,}" if result["total"] is not None else "not assessed"
    print(f"  Total recorded crime: {total}. {result['total_note']}")
    print("  Recommended priorities: " + (", ".join(result["recommended"]) or "none could be ranked")
          + (" (robust to a 20% change in any weight)" if result["robust"] else " (sensitive to the weights)"))
    for note in result["notes"]:
        print(f"  Note: {note}")
    for warning in result["warnings"]:
        print(f"  Warning: {warning}")
    pdf = f"\n{result['pdf']}" if result["pdf"] else ""
    print(f"\n{result['html']}{pdf}\n{result['xlsx']}\n{result['template']} (stakeholders' scores: fill in, then ingest)")
    return 0


def cmd_reference(args: argparse.Namespace) -> int:
    from demo.generator import (
        generate_reference_inbox,  # lazy: numpy + xlsxwriter, only this command
    )

    settings = load_settings()
    summary = generate_reference_inbox(settings.inbox, settings.real_dir)
    for source, counts in summary.items():
        print(f"  {source:<30} {counts['files']:>3} files {counts['rows']:>8,} rows -> {settings.inbox / source}")
    print("Population estimates are synthetic (no ONS mid-year estimates are available offline); "
          "replace inbox/reference_population/ with real ones when you have them. Files named *_synthetic.csv are "
          "flagged as synthetic on every table, chart and card that uses them.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    # Not _quiet_prefect(): a served schedule should keep INFO run logs for the Prefect UI.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    return run_serve(args)


def headline_priority(plan: Plan) -> str:
    """The priority `csp demo` shows by default: the plan's first whose outcomes are not all draft."""
    for priority in plan.priorities:
        if not all(outcome.draft for outcome in priority.outcomes):
            return priority.id
    return plan.priorities[0].id


def print_indicator_table(settings: Settings, plan_year: str, priority_id: str) -> None:
    """The latest 12-month values of one priority's indicators, as a short table."""

    with connect_read_only(settings.warehouse_path) as con:
        rows = con.execute("""
            with latest as (
                select indicator_id, max(period_end) as period_end from marts.indicator_values
                where plan_year = ? and priority_id = ? and area_code = ? and period_type = '12m' group by all
            )
            select catalogue.outcome_statement, catalogue.label, values.period_end, values.value, values.previous_value,
                   values.change_pct, values.aim, values.status
            from marts.indicator_values as values
            inner join latest using (indicator_id, period_end)
            inner join marts.indicator_catalogue as catalogue
                on catalogue.plan_year = values.plan_year and catalogue.priority_id = values.priority_id
                and catalogue.outcome_id = values.outcome_id and catalogue.indicator_id = values.indicator_id
            where values.plan_year = ? and values.priority_id = ? and values.area_code = ? and values.period_type = '12m'
            order by values.outcome_id, catalogue.kind, values.indicator_id
        """, [plan_year, priority_id, settings.area] * 2).fetchall()
    if not rows:
        return
    print(f"\n{priority_id}: {rows[0][0]}")
    print(f"  {'indicator':<62} {'12 months to':>12} {'value':>9} {'previous':>9} {'change':>8}  {'aim':<8} status")
    for _, label, end, value, previous, change_pct, aim, status in rows:
        shown = f"{value:,.1f}" if value is not None and value != int(value) else (f"{value:,.0f}" if value is not None else "-")
        before = f"{previous:,.1f}" if previous is not None and previous != int(previous) else (f"{previous:,.0f}" if previous is not None else "-")
        change = f"{change_pct:+.1f}%" if change_pct is not None else "-"
        print(f"  {label[:62]:<62} {end:%b %Y}:>12 {shown:>9} {before:>9} {change:>8}  {aim:<8} {status}".replace(":>12", ""))


PERIOD_HELP = ("YYYY-MM the files' rows are for, when their names do not say it (overrides the period a name "
               "claims; every row must still fall in it)")


def _month(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a month: give it as YYYY-MM, e.g. 2018-02")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csp", description="Community Safety Partnership indicator pipeline")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="check and load files or folders into the warehouse (exit 1 if any is refused)")
    ingest.add_argument("paths", nargs="*", help="files or folders (default: $CSP_DATA/inbox)")
    ingest.add_argument("--source", help="source name, when it cannot be recognised from the header")
    ingest.add_argument("--area", help="district code of the CSP (default $CSP_AREA or E07000110)")
    ingest.add_argument("--period", type=_month, help=PERIOD_HELP)
    ingest.set_defaults(func=cmd_ingest)

    validate = sub.add_parser("validate", help="check files only: same messages, nothing loaded (exit 1 if refused)")
    validate.add_argument("paths", nargs="+")
    validate.add_argument("--source")
    validate.add_argument("--period", type=_month, help=PERIOD_HELP)
    validate.set_defaults(func=cmd_validate)

    demo = sub.add_parser("demo", help="generate the demo inbox (Maidstone, March 2018) and run the monthly flow")
    demo.add_argument("--with-faults", action="store_true", help="add a handful of broken files to show quarantine")
    demo.add_argument("--priority", metavar="ID", help="priority whose indicators to print at the end (default: the "
                      "plan's first priority whose outcomes are not all draft)")
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="the monthly run: ingest the inbox, transforms, indicators, reports")
    run.add_argument("--period", help="YYYY-MM to report (default: the latest month every required source covers)")
    run.add_argument("--plan-year", help="plan year, e.g. 2018-19 (default: the latest plan)")
    run.add_argument("--area", help="district code (default $CSP_AREA or E07000110); 'all-in-force' or a comma list "
                                    "computes every area's indicators in one step, then one reports flow run per "
                                    "area into reports/<area_code>/<period>/")
    run.add_argument("--use-deployments", action="store_true",
                     help="with several areas: start each area's reports through the csp-area-reports deployment "
                          "(the work pool's workers share them; needs PREFECT_API_URL)")
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild every mart and indicator window from all months (default: only what the new, "
                          "revised or late files change)")
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="run the monthly schedule from this process (starts a local Prefect "
                                         "server if PREFECT_API_URL is unset)")
    add_serve_arguments(serve)
    serve.set_defaults(func=cmd_serve)

    assess = sub.add_parser("assess", help="the annual Strategic Assessment pack (HTML, XLSX) for a plan year, "
                                           "from the published warehouse")
    assess.add_argument("--year", required=True, help="plan year the assessment informs, e.g. 2026-27")
    assess.add_argument("--area", help="district code (default $CSP_AREA or E07000110)")
    assess.add_argument("--window-end", type=_month, help="last month of the 12-month window, YYYY-MM (default: the "
                                                           "latest month police.uk data was received for; the SMP used "
                                                           "November-October, i.e. --window-end YYYY-10)")
    assess.set_defaults(func=cmd_assess)

    reference = sub.add_parser("reference", help="put the ONS lookups and population estimates in the inbox")
    reference.set_defaults(func=cmd_reference)

    status = sub.add_parser("status", help="what is loaded and refused, per source and period")
    status.add_argument("--area")
    status.set_defaults(func=cmd_status)

    quarantine = sub.add_parser("quarantine", help="manage refused files")
    qsub = quarantine.add_subparsers(dest="quarantine_command", required=True)
    purge = qsub.add_parser("purge", help="delete files refused for personal data, with their reports, once older "
                                          "than the retention period (CSP_PERSONAL_DATA_RETENTION_DAYS, default 30)")
    purge.add_argument("--older-than", type=int, metavar="DAYS",
                       help="delete those refused at least this many days ago (default: the retention period)")
    purge.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    purge.set_defaults(func=cmd_quarantine_purge)
    return parser


def cmd_quarantine_purge(args: argparse.Namespace) -> int:
    from warehouse.retention import configured_retention_days, purge_quarantine

    settings = load_settings()
    days = configured_retention_days() if args.older_than is None else args.older_than
    if days < 0:
        raise ValueError(f"--older-than {days}: give a number of days, 0 or more")
    items = purge_quarantine(settings.quarantine, days, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    for item in items:
        print(f"{verb} {item.kept_file} (refused {item.refused_at:%Y-%m-%d %H:%M}, personal data) "
              f"and {len(item.files) - 1} report file(s)")
    print(f"{len(items)} file(s) refused for personal data {days} or more days ago: {verb}.")
    return 0


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
