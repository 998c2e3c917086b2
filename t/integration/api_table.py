"""The README's table of Kafka APIs against what a running kelpd answers in
ApiVersions: `check BOOTSTRAP README` fails on any difference, `write
BOOTSTRAP README` rewrites the table from the answer (scripts/update-api-table.sh)."""

import re
import sys

import kafka_raw as kr

ROW = re.compile(r"^\| ([A-Za-z]+) \((\d+)\) \| (\d+)(?:-(\d+))? \|$")


def table_span(lines):
    start = next(i for i, l in enumerate(lines) if l.strip() == "## Kafka APIs")
    first = next(i for i in range(start, len(lines)) if ROW.match(lines[i]))
    last = first
    while last + 1 < len(lines) and ROW.match(lines[last + 1]):
        last += 1
    return first, last + 1


def rows_of(lines):
    out = {}
    for l in lines:
        m = ROW.match(l)
        name, key, lo, hi = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        out[key] = (name, lo, int(hi) if hi else lo)
    return out


def render(name, key, lo, hi):
    return "| %s (%d) | %s |" % (name, key, str(lo) if lo == hi else "%d-%d" % (lo, hi))


def main():
    cmd, bootstrap, readme = sys.argv[1:4]
    lines = open(readme).read().split("\n")
    first, end = table_span(lines)
    table = rows_of(lines[first:end])
    served = kr.api_versions(bootstrap)
    if cmd == "check":
        problems = []
        for key, (lo, hi) in sorted(served.items()):
            if key not in table:
                problems.append("api %d (%d-%d) is served but not in README" % (key, lo, hi))
            elif table[key][1:] != (lo, hi):
                problems.append("%s (%d): README says %d-%d, kelpd serves %d-%d" % (table[key][0], key, table[key][1],
                                                                                   table[key][2], lo, hi))
        for key in table:
            if key not in served:
                problems.append("%s (%d) is in README but not served" % (table[key][0], key))
        if problems:
            print("api_table.py: FAIL: README's API table is not what kelpd serves "
                  "(scripts/update-api-table.sh rewrites it):\n  " + "\n  ".join(problems), file=sys.stderr)
            sys.exit(1)
        return
    if cmd == "write":
        new = []
        for key, (lo, hi) in served.items():  # in the order kelpd lists them
            if key not in table:
                sys.exit("api_table.py: api %d has no row to name it: add one by hand, then write" % key)
            new.append(render(table[key][0], key, lo, hi))
        lines[first:end] = new
        open(readme, "w").write("\n".join(lines))
        return
    sys.exit("usage: api_table.py check|write BOOTSTRAP README")


if __name__ == "__main__":
    main()
