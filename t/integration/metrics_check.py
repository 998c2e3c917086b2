"""Reads a Prometheus text exposition with prometheus_client's parser.

usage: metrics_check.py FILE validate
       metrics_check.py FILE sum SAMPLE [LABEL=VALUE ...]
       metrics_check.py FILE count SAMPLE [LABEL=VALUE ...]
       metrics_check.py FILE with-label LABEL=VALUE

validate parses everything and checks every histogram: buckets never
decrease, le="+Inf" is present and equals _count. sum prints the total of
the samples named SAMPLE whose labels match, count how many there are
(SAMPLE '*' matches any name), with-label how many samples of any metric
carry that label value. Exit 1 with a message when something is wrong."""
import sys

from prometheus_client.parser import text_string_to_metric_families


def fail(msg):
    print("metrics_check: " + msg, file=sys.stderr)
    sys.exit(1)


def families(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and friends
        fail("the exposition does not parse: %r" % (e,))


def validate(fams):
    histograms = 0
    for fam in fams:
        if fam.type != "histogram":
            continue
        series = {}
        for s in fam.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            entry = series.setdefault(key, {"buckets": [], "count": None})
            if s.name == fam.name + "_bucket":
                entry["buckets"].append((s.labels["le"], s.value))
            elif s.name == fam.name + "_count":
                entry["count"] = s.value
        for key, entry in series.items():
            histograms += 1
            values = [v for _, v in entry["buckets"]]
            if values != sorted(values):
                fail("%s%s: buckets are not cumulative: %r" % (fam.name, key, entry["buckets"]))
            inf = [v for le, v in entry["buckets"] if le == "+Inf"]
            if not inf:
                fail("%s%s: no le=\"+Inf\" bucket" % (fam.name, key))
            if entry["count"] is None or inf[0] != entry["count"]:
                fail("%s%s: +Inf bucket %r but _count %r" % (fam.name, key, inf[0], entry["count"]))
    print("%d families, %d histogram series" % (len(fams), histograms))


def matching(fams, name, wanted):
    for fam in fams:
        for s in fam.samples:
            if (name == "*" or s.name == name) and all(s.labels.get(k) == v for k, v in wanted.items()):
                yield s


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    fams = families(sys.argv[1])
    mode = sys.argv[2]
    if mode == "validate":
        validate(fams)
        return
    if mode == "with-label":
        k, v = sys.argv[3].split("=", 1)
        print(len(list(matching(fams, "*", {k: v}))))
        return
    name = sys.argv[3]
    wanted = dict(a.split("=", 1) for a in sys.argv[4:])
    found = list(matching(fams, name, wanted))
    if mode == "count":
        print(len(found))
    elif mode == "sum":
        total = sum(s.value for s in found)
        print(int(total) if total == int(total) else total)
    else:
        fail("unknown mode " + mode)


main()
