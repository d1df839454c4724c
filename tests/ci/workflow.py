#!/usr/bin/env python3
"""workflow.py <workflow.yml> <job>: the job's env and steps as JSON.

Reads the subset of YAML that docs/ci/bake.yml is written in (block mappings, a list of steps,
`|` block scalars), and fails on anything else, so the workflow cannot drift into a form this
reader would misread. Python's standard library has no YAML reader."""
import json
import re
import sys


def parse(lines):
    """Returns nested dicts/lists for a block-style YAML document of the supported subset."""
    def indent(line):
        return len(line) - len(line.lstrip(" "))

    def scalar(text):
        text = text.strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return text[1:-1]
        if text.startswith("[") and text.endswith("]"):
            return [s.strip() for s in text[1:-1].split(",") if s.strip()]
        return text

    def block(i, level):
        """Parses lines[i:] at indentation `level`; returns (value, next index)."""
        if lines[i].lstrip().startswith("- "):
            items = []
            while i < len(lines) and indent(lines[i]) == level and lines[i].lstrip().startswith("- "):
                # "- key: value" starts a mapping whose keys sit at level + 2.
                lines[i] = " " * (level + 2) + lines[i].lstrip()[2:]
                value, i = block(i, level + 2)
                items.append(value)
            return items, i
        mapping = {}
        while i < len(lines) and indent(lines[i]) == level:
            m = re.fullmatch(r"([A-Za-z_][\w-]*):(?: (.*))?", lines[i].strip())
            if not m:
                sys.exit(f"workflow.py: cannot read line: {lines[i]!r}")
            key, rest = m.group(1), (m.group(2) or "").strip()
            i += 1
            if rest == "|":
                text = []
                while i < len(lines) and (not lines[i].strip() or indent(lines[i]) > level):
                    text.append(lines[i])
                    i += 1
                body = min((indent(t) for t in text if t.strip()), default=0)
                mapping[key] = "\n".join(t[body:] for t in text).rstrip("\n") + "\n"
            elif rest:
                mapping[key] = scalar(rest)
            elif i < len(lines) and indent(lines[i]) > level:
                mapping[key], i = block(i, indent(lines[i]))
            else:
                mapping[key] = None
        return mapping, i

    lines = [l.rstrip("\n") for l in lines if l.strip() and not l.lstrip().startswith("#")]
    value, i = block(0, 0)
    if i != len(lines):
        sys.exit(f"workflow.py: cannot read line: {lines[i]!r}")
    return value


def main():
    doc = parse(open(sys.argv[1]).readlines())
    job = doc["jobs"][sys.argv[2]]
    allowed = {"id", "name", "uses", "with", "if", "env", "run"}
    for step in job["steps"]:
        unknown = set(step) - allowed
        if unknown:
            sys.exit(f"workflow.py: a step has keys this reader does not know: {sorted(unknown)}")
    try:  # Where PyYAML is installed, it must read the job the same way.
        import yaml
        reference = yaml.safe_load(open(sys.argv[1]))["jobs"][sys.argv[2]]
        def strings(v):
            if isinstance(v, dict):
                return {k: strings(x) for k, x in v.items()}
            if isinstance(v, list):
                return [strings(x) for x in v]
            return str(v).lower() if isinstance(v, bool) else str(v)
        if strings(reference) != strings(job):
            sys.exit("workflow.py: PyYAML reads the job differently")
    except ImportError:
        pass
    json.dump({"env": job.get("env") or {}, "steps": job["steps"]}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
