"""A stand-in for a local model: the draft command the tests name in qfill.yaml.

Reads the question and passages as JSON on stdin and prints a draft, in one of these
modes (the first argument):

* ``reword``: the first passage's first sentence, reworded but faithful (supported);
* ``invent``: a sentence claiming something the passage does not say (unsupported);
* ``flip``: the first sentence with its "not" removed (unsupported);
* ``fail``: exits with an error.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    mode = sys.argv[1]
    request = json.load(sys.stdin)
    first = request["passages"][0]
    sentence = first["text"].split(". ")[0].rstrip(".") + "."
    if mode == "fail":
        print("model not loaded", file=sys.stderr)
        sys.exit(3)
    if mode == "reword":
        text = "We confirm that " + sentence[0].lower() + sentence[1:]
    elif mode == "invent":
        text = sentence.rstrip(".") + " and every customer gets a dedicated HSM."
    else:
        text = sentence.replace(" not ", " ")
    json.dump({"sentences": [{"text": text, "cites": [first["id"]]}], "short": "Yes"},
              sys.stdout)


if __name__ == "__main__":
    main()
