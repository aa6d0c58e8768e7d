"""Replace one benchmark's section of docs/performance.md, between
<!-- bench:NAME:begin --> and <!-- bench:NAME:end -->, keeping the rest;
a missing section is added at the end under the given title."""


def write_section(path, name, title, text):
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    with open(path) as f:
        doc = f.read()
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        _, tail = rest.split(end, 1)
        doc = head + begin + "\n" + text + end + tail
    else:
        doc = doc.rstrip("\n") + f"\n\n## {title}\n\n" + begin + "\n" + \
            text + end + "\n"
    with open(path, "w") as f:
        f.write(doc)
