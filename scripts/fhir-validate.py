#!/usr/bin/env python3
"""Validates FHIR R4 Bundles with fhir.resources 5.1.1 (PyPI, FHIR 4.0.1),
a FHIR library nobody here wrote: the Bundle as a whole, and each entry's
resource on its own class. It checks element names (no unknown ones), types,
and that required elements are present; not terminology bindings or
invariants. Prints one line per file: the resource types and their counts, or
every validation error; exits 1 when any file has errors.

    python scripts/fhir-validate.py bundle.json [more.json ...]
"""
import collections
import json
import sys

from fhir.resources.bundle import Bundle
from fhir.resources.fhirelementfactory import FHIRElementFactory


def check(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    errors = []
    try:
        Bundle(data, strict=True)
    except Exception as e:  # FHIRValidationError lists every problem
        errors.append(f"Bundle: {e}")
    counts = collections.Counter()
    for i, entry in enumerate(data.get("entry", [])):
        res = entry.get("resource", {})
        kind = res.get("resourceType", "?")
        counts[kind] += 1
        try:
            FHIRElementFactory.instantiate(kind, res, strict=True)
        except Exception as e:
            errors.append(f"entry {i} ({kind}): {e}")
    return counts, errors


def main(paths):
    failed = False
    for p in paths:
        counts, errors = check(p)
        summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
        if errors:
            failed = True
            print(f"{p}: {len(errors)} errors")
            for e in errors:
                print(f"  {e}")
        else:
            print(f"{p}: valid R4 Bundle, {sum(counts.values())} resources ({summary})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
