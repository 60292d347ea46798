"""Validates UBL documents against the official CEN EN 16931 rules (XSLT compiled from the
Schematron), with Saxon (saxonche). Prints each failed fatal rule with its id and the document,
and exits 1 if any document breaks a fatal rule.

usage: python3 en16931.py STYLESHEET.xslt FILE.xml...
"""
import re
import sys

from saxonche import PySaxonProcessor


def main() -> int:
    stylesheet, files = sys.argv[1], sys.argv[2:]
    if not files:
        print("en16931: no documents to validate")
        return 1
    failed = 0
    rules = {}
    with PySaxonProcessor(license=False) as p:
        exe = p.new_xslt30_processor().compile_stylesheet(stylesheet_file=stylesheet)
        for f in files:
            svrl = exe.transform_to_string(source_file=f)
            # Every <svrl:failed-assert ... flag="fatal"> is a broken rule.
            bad = []
            for m in re.finditer(r"<svrl:failed-assert\b([^>]*)>(.*?)</svrl:failed-assert>", svrl, re.S):
                attrs, body = m.group(1), m.group(2)
                if 'flag="fatal"' not in attrs:
                    continue
                rid = re.search(r'id="([^"]+)"', attrs)
                text = re.sub(r"<[^>]+>", "", body).strip()
                bad.append((rid.group(1) if rid else "?", " ".join(text.split())))
            for rid, _ in bad:
                rules[rid] = rules.get(rid, 0) + 1
            if bad:
                failed += 1
                print(f"FAIL {f}")
                for rid, text in bad:
                    print(f"  {rid}: {text}")
    print(f"en16931: {len(files) - failed} passed, {failed} failed")
    if rules:
        print("broken rules: " + ", ".join(f"{k} x{v}" for k, v in sorted(rules.items())))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
