"""The `narrascope` command. Each subcommand imports its layer lazily, so `--help` is instant."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from narrascope.errors import NarrascopeError

# Offline by default: nothing is fetched at run time (a user with a hub can override).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")


BUNDLED_TAXONOMY = "data/taxonomy.yaml"


def existing_path(value: str) -> str:
    """argparse type: a file or folder that exists (checked before any work starts)."""
    if not Path(value).exists():
        raise argparse.ArgumentTypeError(f"no such file or folder: '{value}'")
    return value


def existing_or_none(value: str) -> str:
    """argparse type: an existing path, or 'none' (the feature is skipped)."""
    return value if value == "none" else existing_path(value)


def existing_path_list(value: str) -> list[str]:
    """argparse type: comma-separated existing paths, as a list."""
    return [existing_path(part) for part in value.split(",")]


def existing_paths(value: str) -> list[str] | None:
    """argparse type: comma-separated existing paths, or 'none' (None: the feature is off)."""
    return None if value == "none" else existing_path_list(value)


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line naming the command (`narrascope train: error: ...`), exit 2."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return int(exc.code or 0)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    from narrascope.model_registry import Registry

    if args.registry:  # child processes (the server) and ensemble members read it too
        os.environ["NARRASCOPE_REGISTRY"] = args.registry
    try:
        return args.handler(args, Registry(args.registry)) or 0
    except NarrascopeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path that vanished or cannot be read/written after the checks
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="narrascope", description=__doc__)
    parser.add_argument(
        "--registry", help="registry root (default: $NARRASCOPE_REGISTRY or ./registry)"
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("train", help="train a model artifact from a config")
    p.add_argument("--config", default="configs/linear.yaml", type=existing_path)
    p.add_argument("--out", default="artifacts/linear", help="artifact directory to write")
    p.add_argument("--register", action="store_true", help="register the artifact afterwards")
    p.add_argument("--alias", help="with --register: point this alias at the new version")
    p.set_defaults(handler=_train)

    _eval_parser(sub)
    _registry_parser(sub)

    p = sub.add_parser("serve", help="serve a registered model with BentoML")
    p.add_argument("--model", default="production")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    p.set_defaults(handler=_serve)

    p = sub.add_parser("predict", help="predict narratives for texts given as arguments or a file")
    p.add_argument("texts", nargs="*", help="texts to classify")
    p.add_argument("--file", type=existing_path, help="JSONL/CSV documents to classify instead")
    p.add_argument("--model", default="production")
    p.add_argument("--threshold", type=float, help="override every per-label threshold")
    p.add_argument("--data", help="a SemEval folder (or JSONL/CSV) to predict; labels ignored")
    p.add_argument("--format", choices=["jsonl", "semeval"], default="jsonl")
    p.add_argument("--out", help="with --format semeval: the submission file to write")
    p.set_defaults(handler=_predict)

    _data_parser(sub)
    _campaign_parser(sub)
    _share_parser(sub)

    p = sub.add_parser(
        "track",
        help="track narratives over time: prevalence, spikes, talking points, emerging clusters",
        description="Score a corpus (resumable, Parquet), aggregate prevalence per time bucket x "
        "language x country x source type, flag spikes, match talking points, cluster what no "
        "known narrative claims, and write a self-contained dashboard.html.",
    )
    p.add_argument(
        "source", type=existing_path, help="JSONL or CSV documents with `published` dates"
    )
    p.add_argument("--model", default="production")
    p.add_argument("--out", default="reports/tracking")
    p.add_argument("--bucket", default="week", choices=["day", "week", "month"])
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument(
        "--talking-points",
        default="data/talking_points.jsonl",
        type=existing_paths,
        help="talking-point library (JSONL, repeatable via commas; 'none' to skip)",
    )
    p.add_argument("--no-clusters", action="store_true", help="skip emerging-narrative clustering")
    p.set_defaults(handler=_track)
    return parser


def _campaign_parser(sub) -> None:
    campaign = sub.add_parser("campaign", help="retrain for a new influence campaign")
    csub = campaign.add_subparsers(metavar="ACTION", required=True)
    p = csub.add_parser(
        "add",
        help="validate, card, retrain, register as staging, compare with production",
        description="Validate the campaign's documents (and taxonomy patch and talking points), "
        "write its data card, retrain with the production model's recipe on old + new data, "
        "register the candidate as 'staging', and print the comparison and the gate's verdict.",
    )
    p.add_argument("--name", required=True, help="campaign slug, e.g. biolabs")
    p.add_argument(
        "--data",
        required=True,
        type=existing_path,
        help="the campaign's labelled documents (JSONL/CSV)",
    )
    p.add_argument(
        "--taxonomy-patch", type=existing_path, help="YAML adding narratives/subnarratives"
    )
    p.add_argument("--talking-points", type=existing_path, help="JSONL of new talking points")
    p.add_argument("--base", default="production", help="model whose recipe is retrained")
    p.add_argument(
        "--config",
        type=existing_path,
        help="train with this config instead of the base model's recipe",
    )
    p.add_argument(
        "--eval-data",
        default="data/corpus/test.jsonl",
        type=existing_path,
        help="old held-out data",
    )
    p.add_argument("--base-talking-points", default="data/talking_points.jsonl", type=existing_path)
    p.add_argument("--workdir", help="where everything is written (default campaigns/NAME)")
    p.add_argument("--cards-dir", default="data_cards", help="where the data card is written")
    p.add_argument("--held-out", type=float, default=0.3, help="share of new documents held out")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--policy", default="configs/gates/promotion.yaml", type=existing_path)
    p.add_argument(
        "--validate-only", action="store_true", help="stop after validation and the data card"
    )
    p.set_defaults(handler=_campaign_add)


def _share_parser(sub) -> None:
    share = sub.add_parser("share", help="STIX 2.1: export findings, import a partner's bundle")
    ssub = share.add_subparsers(metavar="ACTION", required=True)
    p = ssub.add_parser("export", help="write a STIX 2.1 bundle from a tracking run or results")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--tracking", type=existing_path, help="output folder of `narrascope track`"
    )
    source.add_argument(
        "--predictions",
        type=existing_path,
        help="JSONL of prediction results (/v1/predict items)",
    )
    p.add_argument("--out", required=True, help="bundle file to write")
    p.add_argument("--taxonomy", default="data/taxonomy.yaml", type=existing_path)
    p.add_argument(
        "--talking-points",
        default="data/talking_points.jsonl",
        type=existing_path_list,
        help="comma-separated",
    )
    p.add_argument("--tlp", default="amber", help="clear/white, green, amber (default) or red")
    p.add_argument("--actor", help="attribute every campaign to this intrusion set")
    p.set_defaults(handler=_share_export)
    p = ssub.add_parser("import", help="a partner's bundle -> talking points + campaign data")
    p.add_argument("bundle", type=existing_path)
    p.add_argument("--out", help="folder to write (default imports/<bundle name>)")
    p.add_argument("--taxonomy", default="data/taxonomy.yaml", type=existing_path)
    p.add_argument("--base-talking-points", default="data/talking_points.jsonl", type=existing_path)
    p.add_argument("--campaign", help="campaign name for the documents (default: from the bundle)")
    p.set_defaults(handler=_share_import)


def _eval_options(p) -> None:
    p.add_argument(
        "--data",
        default="data/corpus/test.jsonl",
        type=existing_path,
        help="JSONL, CSV or SemEval folder",
    )
    p.add_argument(
        "--taxonomy",
        type=existing_path,
        help="taxonomy the data is labelled in (default: the model's own, stored in its "
        f"artifact; {BUNDLED_TAXONOMY} with --predictions)",
    )
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.add_argument("--min-support", type=int, default=5, help="groups below this size are flagged")


def _eval_parser(sub) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate a model: report.json, report.md, report.html, predictions.tsv",
        description="Evaluate a registered model (or score a SemEval prediction file) per "
        "language, country and source type, with bias views and bootstrap intervals.",
    )
    p.add_argument("--model", default="production", help="version (v3) or alias (production)")
    p.add_argument(
        "--predictions",
        type=existing_path,
        help="score this SemEval-2025 Task 10 prediction file instead of a model",
    )
    p.add_argument(
        "--names",
        type=existing_or_none,
        help="country names for the counterfactual probe (default: the bundled "
        "eval/probes/country_names.yaml; 'none' skips the probe)",
    )
    p.add_argument("--out", default="reports/latest")
    p.add_argument(
        "--attach", action="store_true", help="keep the report beside the version in the registry"
    )
    _eval_options(p)
    p.set_defaults(handler=_eval)
    esub = p.add_subparsers(metavar="ACTION")
    c = esub.add_parser(
        "compare",
        help="compare two models on the same data: per-group deltas and verdicts",
        description="delta = CANDIDATE - BASELINE with paired-bootstrap intervals per language, "
        "country and source type; exits 1 when the candidate is detectably worse anywhere.",
    )
    c.add_argument("baseline", help="version or alias, e.g. production")
    c.add_argument("candidate", help="version or alias, e.g. staging or v7")
    c.add_argument("--out", default="reports/compare")
    _eval_options(c)
    c.set_defaults(handler=_eval_compare)


def _registry_parser(sub) -> None:
    reg = sub.add_parser("registry", help="register, list, inspect and alias model versions")
    rsub = reg.add_subparsers(metavar="ACTION", required=True)
    p = rsub.add_parser("register", help="register an artifact directory as a new version")
    p.add_argument("artifact", type=existing_path)
    p.add_argument("--alias", help="point this alias at the new version")
    p.add_argument("--note", default="")
    p.set_defaults(handler=_registry_register)
    p = rsub.add_parser("list", help="list versions and aliases")
    p.set_defaults(handler=_registry_list)
    p = rsub.add_parser("show", help="show a version's entry and manifest")
    p.add_argument("ref")
    p.set_defaults(handler=_registry_show)
    p = rsub.add_parser("verify", help="re-hash a version's files")
    p.add_argument("ref")
    p.set_defaults(handler=_registry_verify)
    p = rsub.add_parser(
        "promote",
        help="move an alias to a version if the promotion gate passes",
        description="Evaluate the candidate and the alias's current version on the same data; "
        "refuse (exit 1) when a language or country regresses beyond the policy's tolerance.",
    )
    p.add_argument("ref", help="candidate version or alias, e.g. v7 or staging")
    p.add_argument("--to", dest="alias", default="production", help="alias to move")
    p.add_argument(
        "--data",
        action="append",
        type=existing_path,
        help="evaluation data (repeatable; default data/corpus/test.jsonl)",
    )
    p.add_argument("--policy", default="configs/gates/promotion.yaml", type=existing_path)
    p.add_argument("--out", default="reports/promotion", help="where compare.json/md go")
    p.add_argument("--force", action="store_true", help="promote despite a refusal (logged)")
    p.add_argument("--reason", default="", help="why (recorded in the event log)")
    p.set_defaults(handler=_registry_promote)
    p = rsub.add_parser("rollback", help="return an alias to its previous version")
    p.add_argument("alias", nargs="?", default="production")
    p.set_defaults(handler=_registry_rollback)
    p = rsub.add_parser("archive", help="retire a version (never one an alias points to)")
    p.add_argument("ref")
    p.add_argument("--note", default="")
    p.set_defaults(handler=_registry_archive)
    p = rsub.add_parser("gc", help="delete files of archived versions no alias points to")
    p.set_defaults(handler=_registry_gc)
    p = rsub.add_parser(
        "lineage", help="config, data, taxonomy, parent and evaluations of a version"
    )
    p.add_argument("ref")
    p.set_defaults(handler=_registry_lineage)
    p = rsub.add_parser(
        "export-bento", help="copy a version into BentoML's model store, pinned by version"
    )
    p.add_argument("ref")
    p.set_defaults(handler=_registry_export_bento)
    _talking_points_registry_parser(rsub)
    alias = rsub.add_parser("alias", help="set or get an alias")
    asub = alias.add_subparsers(metavar="OP", required=True)
    p = asub.add_parser("set")
    p.add_argument("name")
    p.add_argument("ref")
    p.set_defaults(handler=_alias_set)
    p = asub.add_parser("get")
    p.add_argument("name")
    p.set_defaults(handler=_alias_get)


def _data_parser(sub) -> None:
    data = sub.add_parser("data", help="validate data, write or check the data card")
    dsub = data.add_subparsers(metavar="ACTION", required=True)
    p = dsub.add_parser("validate", help="check documents against the schema and taxonomy")
    p.add_argument("path", type=existing_path)
    p.add_argument("--taxonomy", default=BUNDLED_TAXONOMY, type=existing_path)
    p.add_argument(
        "--skip-invalid", action="store_true", help="report every bad record, keep going"
    )
    p.set_defaults(handler=_data_validate)
    p = dsub.add_parser("card", help="(re)generate the bundled corpus data card")
    p.add_argument("--check", action="store_true", help="fail if the committed card is out of date")
    p.set_defaults(handler=_data_card)
    p = dsub.add_parser("taxonomy", help="derive a taxonomy from SemEval-2025 Task 10 labels")
    p.add_argument("--from-semeval", nargs="+", required=True, metavar="FOLDER")
    p.add_argument("--out", required=True, help="taxonomy YAML to write")
    p.set_defaults(handler=_data_taxonomy)


# -- handlers -------------------------------------------------------------------------------------
def _train(args, registry) -> int:
    from narrascope.training.config import TrainConfig
    from narrascope.training.train import train

    config = TrainConfig.from_yaml(args.config)
    if args.alias and not args.register:
        raise NarrascopeError("--alias needs --register")
    if args.register:  # before training: a refusal afterwards would waste the run
        from narrascope.model_registry.registry import check_alias_name

        registry.check_writable()
        if args.alias:
            check_alias_name(args.alias)
    out = train(config, args.out)
    if args.register:
        version = registry.register(out, note=f"trained with {args.config}")
        if args.alias:
            registry.set_alias(args.alias, version)
        print(
            f"registered {version}"
            + (f" as '{args.alias}'" if args.alias else "")
            + f" in {registry.root}"
        )
    return 0


def _eval(args, registry) -> int:
    from narrascope.data import load_documents
    from narrascope.eval.bootstrap import Settings
    from narrascope.eval.predictions import run_from_file
    from narrascope.eval.probe import DEFAULT_NAMES, NameSets
    from narrascope.eval.report import evaluate, report_for_run, write_report
    from narrascope.taxonomy import Taxonomy

    settings = Settings(resamples=args.resamples, seed=args.seed)
    if args.predictions:
        taxonomy = Taxonomy.load(args.taxonomy or BUNDLED_TAXONOMY)
        docs = load_documents(args.data, taxonomy).documents
        run = run_from_file(args.predictions, docs, taxonomy)
        report = report_for_run(run, docs, args.data, settings, args.min_support)
    else:
        names = None if args.names == "none" else NameSets.load(args.names or DEFAULT_NAMES)
        predictor = registry.load(args.model)
        # The data is read in the model's own taxonomy (a campaign's or a new data set's).
        taxonomy = Taxonomy.load(args.taxonomy) if args.taxonomy else predictor.taxonomy
        docs = load_documents(args.data, taxonomy).documents
        report = evaluate(predictor, docs, args.data, settings, args.min_support, names)
    paths = write_report(report, args.out, taxonomy)
    if args.attach and not args.predictions:
        kept = registry.attach_report(predictor.version, args.out)
        print(f"attached to {predictor.version}: {kept}")
    _print_eval_summary(report)
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def _print_eval_summary(report: dict) -> None:
    from narrascope.eval.render import fmt

    for level, body in report["levels"].items():
        print(f"{level:13s} samples-F1 {fmt(body['overall']['samples_f1'])}")
        for dimension in ("language", "country"):
            view = body["bias"][dimension]["samples_f1"]
            if "worst" in view:
                print(
                    f"{'':13s} worst {dimension} {view['worst']['group']} "
                    f"{fmt(view['worst'])}, gap {fmt(view['gap'])}"
                )
    fpr = report["other_false_positives"]["overall"]
    print(f"false positives on Other: {fpr['false_positives']}/{fpr['n']} ({fmt(fpr)})")
    if "counterfactual" in report:
        flips = report["counterfactual"]["flip_rate"]
        print(f"country-name swaps: {flips['flipped']}/{flips['n']} flipped ({fmt(flips)})")


def _eval_compare(args, registry) -> int:
    from narrascope.artifact import TAXONOMY
    from narrascope.data import load_documents
    from narrascope.eval.bootstrap import Settings
    from narrascope.eval.compare import compare_versions, regressions, write_comparison
    from narrascope.taxonomy import Taxonomy

    if args.taxonomy:
        taxonomy = Taxonomy.load(args.taxonomy)
    else:  # the candidate's taxonomy: its labels may be new (a campaign)
        taxonomy = Taxonomy.load(registry.verify(args.candidate) / TAXONOMY)
    docs = load_documents(args.data, taxonomy).documents
    settings = Settings(resamples=args.resamples, seed=args.seed)
    report = compare_versions(
        registry, args.baseline, args.candidate, docs, args.data, settings, args.min_support
    )
    paths = write_comparison(report, args.out)
    worse = regressions(report)
    for row in worse:
        print(
            f"worse: {row['level']} {row['dimension']} {row['group']}: samples-F1 "
            f"{row['baseline']:.3f} -> {row['candidate']:.3f} "
            f"(delta {row['delta']['value']:+.3f} [{row['delta']['low']:+.3f}, "
            f"{row['delta']['high']:+.3f}])"
        )
    overall = report["levels"]["narratives"]["overall"]["samples_f1"]
    print(
        f"narratives samples-F1 {overall['baseline']:.3f} -> {overall['candidate']:.3f}: "
        f"{overall['verdict']}; {len(worse)} group(s) detectably worse"
    )
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 1 if worse else 0


def _registry_promote(args, registry) -> int:
    from narrascope.app.workflows import promote

    result = promote(
        registry, args.ref, args.alias, args.data, args.policy, args.out, args.force, args.reason
    )
    _print_gate(result.decision, Path(args.out), result.metric)
    if not result.moved:
        print(
            f"gate refused {result.candidate} for '{args.alias}' (use --force to override; logged)"
        )
        return 1
    print(f"'{args.alias}' -> {result.candidate} (gate {result.gate})")
    return 0


def _print_gate(decision, out: Path, metric: str) -> None:
    from narrascope.eval.gate import language_lines

    if decision.note:
        print(decision.note)
    if decision.comparison:
        print("\n".join(language_lines(decision.comparison, metric)))
        print(f"comparison written to {out / 'compare.md'}")
    for failure in decision.failures:
        print(f"REFUSED: {failure}")


def _registry_rollback(args, registry) -> int:
    current, target = registry.rollback(args.alias)
    print(f"'{args.alias}': {current} -> {target}")
    return 0


def _registry_archive(args, registry) -> int:
    print(f"archived {registry.archive(args.ref, note=args.note)}")
    return 0


def _registry_gc(args, registry) -> int:
    removed = registry.gc()
    print("removed files of " + (", ".join(removed) if removed else "nothing"))
    return 0


def _registry_lineage(args, registry) -> int:
    print(json.dumps(registry.lineage(args.ref), indent=2, ensure_ascii=False))
    return 0


def _talking_points_registry_parser(rsub) -> None:
    tp = rsub.add_parser(
        "talking-points",
        help="talking-point libraries as versions: register, list, verify, alias, export-bento",
        description="Libraries live under <registry>/talking_points/, with their own versions "
        "and aliases; serve one with NARRASCOPE_TALKING_POINTS=registry:REF (or bentoml:TAG).",
    )
    tsub = tp.add_subparsers(metavar="ACTION", required=True)
    p = tsub.add_parser("register", help="store library files + calibration as a new version")
    p.add_argument("libraries", nargs="+", type=existing_path, help="JSONL files, in load order")
    p.add_argument("--calibration", type=existing_path, help="default: the bundled calibration")
    p.add_argument(
        "--reference", type=existing_path, help="centering reference (default: bundled library)"
    )
    p.add_argument("--taxonomy", type=existing_path, help="check labels against this taxonomy")
    p.add_argument("--alias", help="point this alias at the new version")
    p.add_argument("--note", default="")
    p.set_defaults(handler=_tp_register)
    p = tsub.add_parser("list", help="list library versions and aliases")
    p.set_defaults(handler=_tp_list)
    for action, handler, text in (
        ("show", _tp_show, "show a version's entry and bundle manifest"),
        ("verify", _tp_verify, "re-hash a version's files"),
        ("export-bento", _tp_export_bento, "copy a version into BentoML's model store"),
    ):
        p = tsub.add_parser(action, help=text)
        p.add_argument("ref")
        p.set_defaults(handler=handler)
    p = tsub.add_parser("alias", help="point an alias at a version")
    p.add_argument("name")
    p.add_argument("ref")
    p.set_defaults(handler=_tp_alias)


def _tp_register(args, registry) -> int:
    from narrascope.model_registry.registry import check_alias_name
    from narrascope.model_registry.talking_points import TalkingPointRegistry
    from narrascope.taxonomy import Taxonomy

    if args.alias:
        check_alias_name(args.alias)  # before anything is written
    taxonomy = Taxonomy.load(args.taxonomy) if args.taxonomy else None
    libraries = TalkingPointRegistry(registry.root)
    version = libraries.register_library(
        args.libraries,
        calibration=args.calibration,
        reference=args.reference,
        taxonomy=taxonomy,
        note=args.note,
    )
    if args.alias:
        libraries.set_alias(args.alias, version)
    entry = libraries.entry(version)
    print(f"{version}: {entry['points']} talking points, digest {entry['digest'][:12]}")
    print(f"serve it: NARRASCOPE_TALKING_POINTS=registry:{args.alias or version}")
    return 0


def _tp_list(args, registry) -> int:
    from narrascope.model_registry.talking_points import TalkingPointRegistry

    libraries = TalkingPointRegistry(registry.root)
    tags = libraries.alias_tags()
    for version in libraries.versions():
        entry = libraries.entry(version)
        print(
            f"{version:6s} {entry['points']:4d} points  {entry['digest'][:12]}  "
            f"{entry['registered']}  {tags.get(version, '')}"
        )
    return 0


def _tp_show(args, registry) -> int:
    from narrascope.model_registry.talking_points import TalkingPointRegistry
    from narrascope.talking_points.bundle import read_bundle_manifest

    libraries = TalkingPointRegistry(registry.root)
    entry = libraries.entry(args.ref)
    manifest = read_bundle_manifest(libraries.artifact_path(args.ref))
    print(json.dumps({"entry": entry, "manifest": manifest}, indent=2, ensure_ascii=False))
    return 0


def _tp_verify(args, registry) -> int:
    from narrascope.model_registry.talking_points import TalkingPointRegistry

    path = TalkingPointRegistry(registry.root).verify(args.ref)
    print(f"ok: every file of talking points {args.ref} matches its sha256 ({path})")
    return 0


def _tp_alias(args, registry) -> int:
    from narrascope.model_registry.talking_points import TalkingPointRegistry

    print(f"{args.name} -> {TalkingPointRegistry(registry.root).set_alias(args.name, args.ref)}")
    return 0


def _tp_export_bento(args, registry) -> int:
    from narrascope.model_registry.bento import export_talking_points_to_bentoml
    from narrascope.model_registry.talking_points import TalkingPointRegistry

    tag = export_talking_points_to_bentoml(TalkingPointRegistry(registry.root), args.ref)
    print(f"exported {tag}")
    print(f"pin it: bentofile.yaml `models: [{tag}]`, env NARRASCOPE_TALKING_POINTS=bentoml:{tag}")
    return 0


def _registry_export_bento(args, registry) -> int:
    from narrascope.model_registry.bento import export_to_bentoml

    tag = export_to_bentoml(registry, args.ref)
    print(f"exported {tag}")
    print(f"pin it: bentofile.yaml `models: [{tag}]` and env NARRASCOPE_BENTO_MODEL={tag}")
    return 0


def _registry_register(args, registry) -> int:
    version = registry.register(args.artifact, note=args.note)
    if args.alias:
        registry.set_alias(args.alias, version)
    print(version)
    return 0


def _registry_list(args, registry) -> int:
    tags = registry.alias_tags()
    for version in registry.versions():
        entry = registry.entry(version)
        aliases = tags.get(version, "")
        print(f"{version:6s} {entry['model_id']:32s} {entry['registered']}  {aliases}")
    return 0


def _registry_show(args, registry) -> int:
    from narrascope.artifact import read_manifest

    entry = registry.entry(args.ref)
    manifest = read_manifest(registry.artifact_path(args.ref))
    print(json.dumps({"entry": entry, "manifest": manifest}, indent=2, ensure_ascii=False))
    return 0


def _registry_verify(args, registry) -> int:
    path = registry.verify(args.ref)
    print(f"ok: every file of {args.ref} matches its sha256 ({path})")
    return 0


def _alias_set(args, registry) -> int:
    print(f"{args.name} -> {registry.set_alias(args.name, args.ref)}")
    return 0


def _alias_get(args, registry) -> int:
    print(registry.resolve(args.name))
    return 0


def _serve(args, registry) -> int:
    from narrascope.app.workflows import serve_launch

    launch = serve_launch(registry, args.model, args.host, args.port)  # fails before BentoML
    print(
        f"serving {launch.version} on http://{args.host}:{args.port} ({launch.workers} worker(s))",
        flush=True,
    )
    os.execvpe(launch.command[0], launch.command, launch.env)
    return 0  # not reached


def _predict(args, registry) -> int:
    if args.format == "semeval":
        return _predict_semeval(args, registry)
    predictor = registry.load(args.model)
    texts, langs = list(args.texts), [None] * len(args.texts)
    if args.file:
        from narrascope.data import load_documents

        docs = load_documents(args.file).documents
        texts, langs = [d.text for d in docs], [None if d.lang == "und" else d.lang for d in docs]
    if not texts:
        raise NarrascopeError("give texts as arguments or --file")
    for text, out in zip(texts, predictor.predict(texts, langs, args.threshold)):
        print(
            json.dumps(
                {"text": text[:80], **out.to_dict(), "model_version": predictor.version},
                ensure_ascii=False,
            )
        )
    return 0


def _predict_semeval(args, registry) -> int:
    from narrascope.eval.semeval import predict_submission

    if not args.data or not args.out:
        raise NarrascopeError("--format semeval needs --data FOLDER and --out FILE")
    if not Path(args.data).exists():
        raise NarrascopeError(f"{args.data}: no such file or folder")
    path, count = predict_submission(registry.load(args.model), args.data, args.out)
    print(f"wrote {count} predictions to {path}")
    return 0


def _data_taxonomy(args, registry) -> int:
    from narrascope.semeval_taxonomy import write_taxonomy

    taxonomy = write_taxonomy(args.from_semeval, args.out)
    print(
        f"wrote {args.out}: {len(taxonomy.domains)} domains, {len(taxonomy.narratives)} "
        f"narratives, {len(taxonomy.subnarratives)} subnarratives"
    )
    return 0


def _data_validate(args, registry) -> int:
    from narrascope.data import load_documents
    from narrascope.taxonomy import Taxonomy

    result = load_documents(args.path, Taxonomy.load(args.taxonomy), skip_invalid=args.skip_invalid)
    for err in result.errors:
        print(f"invalid: {err}", file=sys.stderr)
    print(f"{len(result.documents)} valid documents, {len(result.errors)} invalid in {args.path}")
    return 1 if result.errors else 0


def _data_card(args, registry) -> int:
    from narrascope.data_cards.generate import CARD_PATH, render_card

    text = render_card(Path("."))
    if args.check:
        if not CARD_PATH.exists() or CARD_PATH.read_text(encoding="utf-8") != text:
            raise NarrascopeError(f"{CARD_PATH} is out of date: run `narrascope data card`")
        print(f"{CARD_PATH} matches the data")
        return 0
    CARD_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {CARD_PATH}")
    return 0


def _campaign_add(args, registry) -> int:
    from narrascope.app.workflows import CampaignRequest, campaign_add

    fields = CampaignRequest.__dataclass_fields__
    result = campaign_add(registry, CampaignRequest(**{f: getattr(args, f) for f in fields}))
    campaign = result.campaign
    print(
        f"validated {len(campaign.train) + len(campaign.test)} documents "
        f"({len(campaign.train)} train, {len(campaign.test)} held out), taxonomy "
        f"{campaign.taxonomy.version}; data card {result.card}"
    )
    if result.version is None:
        return 0
    print(f"registered {result.version} as 'staging' (recipe of {result.base}, {result.family})")
    for label, row in result.held_out_labels.items():
        print(
            f"{label} on held-out data: precision {row['precision']:.3f}, recall "
            f"{row['recall']:.3f}, F1 {row['f1']:.3f} (support {row['support']})"
        )
    _print_gate(result.decision, result.compare_dir, result.metric)
    verdict = "would PASS" if result.decision.passed else "would REFUSE"
    print(f"gate {verdict} {result.version} for 'production'")
    print(f"next: {result.next_command}")
    return 0


def _track(args, registry) -> int:
    from narrascope.tracking.emerging import default_embedder
    from narrascope.tracking.run import track

    predictor = registry.load(args.model)
    matcher, embed = None, None
    if args.talking_points is not None or not args.no_clusters:
        from narrascope.talking_points import (
            TalkingPointLibrary,
            default_matcher,
            embedded_encoder,
        )

        shared = embedded_encoder()  # one encoder for matching and clustering
        if args.talking_points is not None:
            library = TalkingPointLibrary.load(args.talking_points)
            matcher = default_matcher(library, encoder=shared)
        if not args.no_clusters:
            embed = default_embedder(shared[0])
    summary = track(
        args.source, predictor, args.out, args.bucket, args.batch_size, embed=embed, matcher=matcher
    )
    print(json.dumps(summary, indent=1, default=str))
    print(f"dashboard: {Path(args.out) / 'dashboard.html'}")
    return 0


def _share_export(args, registry) -> int:
    from narrascope.tracking.stix_export import export_results, export_tracking

    points = args.talking_points
    if args.tracking:
        result = export_tracking(
            args.tracking, args.out, args.taxonomy, points, args.tlp, args.actor
        )
    else:
        result = export_results(args.predictions, args.out, args.taxonomy, points, args.tlp)
    kinds = ", ".join(f"{n} {kind}" for kind, n in result.types.items())
    print(f"wrote {result.path}: {kinds}")
    return 0


def _share_import(args, registry) -> int:
    from narrascope.share.importer import read_bundle, write_import
    from narrascope.talking_points import TalkingPointLibrary
    from narrascope.taxonomy import Taxonomy

    taxonomy = Taxonomy.load(args.taxonomy)
    base = TalkingPointLibrary.load(args.base_talking_points, taxonomy)
    result = read_bundle(args.bundle, taxonomy, args.campaign)
    out = Path(args.out or f"imports/{Path(args.bundle).stem}")
    written = write_import(result, out, base)
    if result.unknown_types:
        print(f"not used (unknown types): {', '.join(result.unknown_types)}")
    print(
        f"{len(written.new_points)} new talking point(s) in {written.talking_points}"
        f" ({len(written.known_points)} already known); {len(result.documents)} documents in "
        f"{written.documents}; summary {written.summary}"
    )
    if written.new_points:
        print(
            "match them now: NARRASCOPE_TALKING_POINTS="
            f"{args.base_talking_points},{written.talking_points} narrascope serve"
        )
    if result.documents:
        print(f"retrain: narrascope campaign add --name NAME --data {written.documents}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
