"""batch/v1: Job and CronJob (kubernetes pkg/apis/batch/validation)."""

from __future__ import annotations

import re
from typing import Any

from validate.apivalidation import pods
from validate.apivalidation.field import Errors, Path, as_dict

CONCURRENCY = ("Allow", "Forbid", "Replace")
_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_FIELD_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
_NAMES = {3: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
          4: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]}


def job_spec(errors: Errors, spec: dict[str, Any], path: Path) -> None:
    for field in ("parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished", "activeDeadlineSeconds"):
        errors.non_negative(path + (field,), spec.get(field))
    template = as_dict(spec.get("template"))
    pods.pod_template(errors, template, path + ("template",), restart_policies=("Never", "OnFailure"))
    pod = as_dict(template.get("spec"))
    if isinstance(template.get("spec"), dict) and pod.get("restartPolicy") in (None, ""):
        errors.required(path + ("template", "spec", "restartPolicy"), 'valid values: "OnFailure", "Never"')


def job(errors: Errors, obj: dict[str, Any]) -> None:
    job_spec(errors, as_dict(obj.get("spec")), ("spec",))


def cron_job(errors: Errors, obj: dict[str, Any]) -> None:
    spec = as_dict(obj.get("spec"))
    schedule = spec.get("schedule")
    if isinstance(schedule, str):
        if not schedule:
            errors.required(("spec", "schedule"))
        else:
            problem = schedule_problem(schedule)
            if problem:
                errors.invalid(("spec", "schedule"), schedule, problem)
    errors.enum(("spec", "concurrencyPolicy"), spec.get("concurrencyPolicy"), CONCURRENCY)
    for field in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        errors.non_negative(("spec", field), spec.get(field))
    job_spec(errors, as_dict(as_dict(spec.get("jobTemplate")).get("spec")), ("spec", "jobTemplate", "spec"))


def schedule_problem(schedule: str) -> str | None:
    """robfig/cron's standard parser, as the API server uses it."""
    if "TZ=" in schedule or "CRON_TZ=" in schedule:
        return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    text = schedule.strip()
    if text.startswith("@"):
        if text in _MACROS or text.startswith("@every "):
            return None
        return f"unrecognized descriptor: {text}"
    fields = text.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: {text}"
    for index, field in enumerate(fields):
        low, high = _FIELD_RANGES[index]
        for part in field.split(","):
            if not _part_ok(part, low, high, _NAMES.get(index)):
                return f"failed to parse {part!r}"
    return None


def _part_ok(part: str, low: int, high: int, names: list[str] | None) -> bool:
    range_part, _, step = part.partition("/")
    if step and not step.isdigit():
        return False
    if range_part in ("*", "?"):
        return True
    bounds = range_part.split("-")
    if len(bounds) > 2:
        return False
    values = []
    for bound in bounds:
        if names and bound.lower() in names:
            values.append(names.index(bound.lower()) + low)
        elif re.fullmatch(r"[0-9]+", bound):
            values.append(int(bound))
        else:
            return False
    return all(low <= v <= high for v in values) and (len(values) == 1 or values[0] <= values[1])
