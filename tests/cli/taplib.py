"""taplib.py - TAP output shared by the Python cli suites: tap() prints one
case (its reasons as # lines when it fails), done() the plan and the exit
status."""
import sys

count = 0
failed = 0


def tap(ok, name, why=(), lines=40):
    global count, failed
    count += 1
    if ok:
        print(f"ok {count} - {name}")
    else:
        failed += 1
        print(f"not ok {count} - {name}")
        for w in why:
            for line in str(w).splitlines()[:lines]:
                print(f"#   {line}")
    sys.stdout.flush()


def done():
    """print the plan; the exit status for sys.exit"""
    print(f"1..{count}")
    return 1 if failed else 0
