#!/usr/bin/env python3
"""Which Debian package provides each command a shell script runs.

  script_commands.py [--deps FILE]... [--list] SCRIPT...

Parses each SCRIPT with shfmt (its syntax tree, not a regex), collects the
commands it runs (through `ip netns exec NS`, `timeout`, `nice`, `env`,
`sh -c '...'` and the like), drops shell builtins, the scripts' own
functions and the project's own programs (paths, variables), and looks each
up on this machine: `command -v`, then `dpkg -S` on its path.  A command is
fine when its package is listed in one of the --deps files (one package a
line, `#` comments), is installed with one of those (its Depends), or is
part of every Debian install (Priority required or Essential).  Prints
"ok CMD PKG" / "missing CMD: ..." lines and exits 1 if any command is
missing or comes from a package no list names: on a fresh machine that
command would not be there.  A command not installed while some
listed package is not installed either cannot be placed without that package
("unknown CMD"): exit 2 when that is all.  --list only prints the commands.
"""
import json
import os
import shutil
import subprocess
import sys

BUILTINS = set("""
    ! : . [ [[ alias bg break case cd command continue do done echo elif
    else esac eval exec exit export false fc fg fi for function getopts hash
    if in jobs kill let local printf pwd read readonly return set shift
    test then times trap true type ulimit umask unalias unset until wait
    while source
""".split())

# wrappers: the command they run follows their own options and arguments
# (how many leading non-option words the wrapper itself takes)
WRAPPERS = {"timeout": 1, "nice": 0, "env": 0, "exec": 0, "command": 0,
            "setsid": 0, "nohup": 0, "stdbuf": 0, "taskset": 1, "chrt": 1,
            "unshare": 0, "ionice": 0, "sudo": 0, "xargs": 0, "time": 0}
# options of those wrappers that take a value in the next word
WRAPPER_OPTARGS = {"nice": {"-n"}, "timeout": {"-s", "-k", "--signal",
                   "--kill-after"}, "ionice": {"-c", "-n"},
                   "xargs": {"-n", "-P", "-I", "-d", "-L", "-s"}}


def lit(word):
    """The word's text if it is all literal (quotes allowed), else None."""
    out = ""
    for p in word.get("Parts", []):
        t = p.get("Type")
        if t == "Lit":
            out += p["Value"]
        elif t == "SglQuoted":
            out += p["Value"]
        elif t == "DblQuoted":
            inner = lit(p)
            if inner is None:
                return None
            out += inner
        else:
            return None
    return out


def is_var(word):
    parts = word.get("Parts", [])
    return len(parts) == 1 and parts[0].get("Type") in ("ParamExp",)


def is_all_args(word):
    parts = word.get("Parts", [])
    if len(parts) == 1 and parts[0].get("Type") == "DblQuoted":
        parts = parts[0].get("Parts", [])
    return len(parts) == 1 and parts[0].get("Type") == "ParamExp" and \
        parts[0].get("Param", {}).get("Value") == "@"


def runs_args(node):
    """Does this function body run "$@" as a command (a wrapper)?"""
    if isinstance(node, list):
        return any(runs_args(n) for n in node)
    if not isinstance(node, dict):
        return False
    if node.get("Type") == "CallExpr" and node.get("Args"):
        a = node["Args"]
        if lit(a[0]) == "ip" and len(a) > 4 and lit(a[1]) == "netns":
            a = a[4:]
        elif lit(a[0]) == "exec" and len(a) > 1:
            a = a[1:]
        if is_all_args(a[0]):
            return True
    return any(runs_args(v) for k, v in node.items() if k not in ("Pos", "End"))


def shfmt(text, name):
    r = subprocess.run(["shfmt", "-ln", "posix", "--to-json"], input=text,
                       capture_output=True, text=True)
    if r.returncode != 0:
        r = subprocess.run(["shfmt", "-ln", "bash", "--to-json"], input=text,
                           capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("script_commands: shfmt cannot parse %s: %s"
                         % (name, r.stderr.strip()))
    return json.loads(r.stdout)


class Scan:
    def __init__(self):
        self.cmds = {}   # command -> first "file:line"
        self.funcs = set()
        self.wrapfuncs = set()  # functions that run "$@" as a command
        self.lookups = set()    # functions that do command -v "$1"
        self.loop_items = []

    def add(self, name, where):
        self.cmds.setdefault(name, where)

    def call(self, args, where):
        words = list(args)
        while words:
            w = words[0]
            name = lit(w)
            if name is None:
                # "$IN cmd" (IN="ip netns exec NS"): the next literal word
                # that does not look like an option or a path is the command
                if is_var(w) and w["Parts"][0].get("Param", {}).get(
                        "Value") in VAR_WRAPPERS:
                    words = words[1:]
                    continue
                return self.after_netns(words, where)
            if "/" in name:
                if name.startswith("/"):
                    self.add(name, where)
                # the project's own programs are built, not installed; one
                # may still run a command in a namespace for us
                return self.after_netns(words, where)
            if "=" in name and name.split("=")[0].isidentifier():
                words = words[1:]  # env var assignment before a command
                continue
            if name == "ip" and len(words) >= 4 and lit(words[1]) == "netns" \
                    and lit(words[2]) == "exec":
                self.add("ip", where)
                words = words[4:]
                continue
            if name == "command" and len(words) > 2 and lit(words[1]) == "-v":
                c = lit(words[2])
                if c:  # command -v X: the script expects X
                    self.add(c, where)
                elif is_var(words[2]) and self.loop_items:
                    for c in self.loop_items:  # for t in a b c; command -v $t
                        self.add(c, where)
                return
            if name in WRAPPERS:
                if name not in ("exec", "command", "time"):
                    self.add(name, where)
                if name == "command" and len(words) > 1 and \
                        (lit(words[1]) or "").startswith("-"):
                    return  # command -v X: a lookup, not a run
                words = words[1:]
                positional = WRAPPERS[name]
                while words:
                    a = lit(words[0])
                    if a is not None and a.startswith("-"):
                        words = words[1:]
                        if a in WRAPPER_OPTARGS.get(name, ()) and words:
                            words = words[1:]
                        continue
                    if a is not None and name == "env" and "=" in a:
                        words = words[1:]
                        continue
                    if positional:
                        positional -= 1
                        words = words[1:]
                        continue
                    break
                continue
            if name in self.lookups:  # have X: the same as command -v X
                for a in words[1:2]:
                    if lit(a) and "/" not in lit(a):
                        self.add(lit(a), where)
                return
            if name in self.wrapfuncs:  # cli CMD...: runs "$@"
                words = words[1:]
                continue
            if name in BUILTINS or name in self.funcs:
                return
            self.add(name, where)
            if name in ("sh", "bash", "dash"):
                for i, a in enumerate(words[1:-1], 1):
                    if lit(a) == "-c":
                        body = lit(words[i + 1])
                        if body is not None:
                            self.text(body, where)
                        break
            return

    def after_netns(self, words, where):
        for i in range(1, len(words) - 3):
            if lit(words[i]) == "ip" and lit(words[i + 1]) == "netns" and \
                    lit(words[i + 2]) == "exec":
                return self.call(words[i:], where)
        return None

    def walk(self, node, fname):
        if isinstance(node, list):
            for n in node:
                self.walk(n, fname)
            return
        if not isinstance(node, dict):
            return
        if node.get("Type") == "CallExpr" and node.get("Args"):
            line = node["Pos"]["Line"]
            self.call(node["Args"], "%s:%d" % (fname, line))
        if node.get("Type") == "CallExpr":
            # NAME=/usr/sbin/x: an installed program run through $NAME
            for a in node.get("Assigns") or []:
                v = lit(a["Value"]) if a.get("Value") else None
                if v and v.startswith(("/usr/bin/", "/usr/sbin/", "/bin/",
                                       "/sbin/")):
                    self.add(v, "%s:%d" % (fname, node["Pos"]["Line"]))
        if node.get("Type") == "ForClause":
            loop = node.get("Loop", {})
            items = [lit(w) for w in loop.get("Items") or []]
            saved = self.loop_items
            self.loop_items = [i for i in items if i]
            self.walk(node.get("Do"), fname)
            self.loop_items = saved
            return
        for k, v in node.items():
            if k in ("Pos", "End"):
                continue
            self.walk(v, fname)

    def funcs_of(self, node):
        if isinstance(node, list):
            for n in node:
                self.funcs_of(n)
        elif isinstance(node, dict):
            if node.get("Type") == "FuncDecl":
                fn = node["Name"]["Value"]
                self.funcs.add(fn)
                body = json.dumps(node["Body"])
                if runs_args(node["Body"]):
                    self.wrapfuncs.add(fn)
                if '"Value": "command"' in body and '"Value": "1"' in body:
                    self.lookups.add(fn)
            for v in node.values():
                self.funcs_of(v)

    def text(self, body, where):
        self.walk(shfmt(body, where), where)


# variables the scripts use as a command prefix (IN="ip netns exec NS")
VAR_WRAPPERS = {"IN", "PRE"}


def candidates(path):
    """PATH, where its links lead, and its /bin <-> /usr/bin twin (Debian
    12 is merged-/usr; dpkg knows each file by the name its package has)."""
    cands = [path, os.path.realpath(path)]
    for p in list(cands):
        for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/")):
            if p.startswith(a):
                cands.append(b + p[len(a):])
            elif p.startswith(b):
                cands.append(a + p[len(b):])
    return cands


def owners(paths):
    """{path: package} for those of PATHS dpkg knows, in one dpkg -S."""
    r = subprocess.run(["dpkg", "-S"] + sorted(set(paths)),
                       capture_output=True, text=True)
    out = {}
    # "pkg[:arch][, pkg2]: /path"; a diverted file has "diversion by PKG
    # from: ..." lines first
    for ln in r.stdout.splitlines():
        if ln.startswith("diversion by ") or ": " not in ln:
            continue
        pkgs, path = ln.split(": ", 1)
        out.setdefault(path.strip(), pkgs.split(",")[0].split(":")[0].strip())
    return out


def closure(listed):
    """The listed packages and what they depend on (Depends, Pre-Depends:
    apt installs those with them; Recommends it does not: deps.sh and
    bench/run.sh pass --no-install-recommends), among installed packages."""
    r = subprocess.run(["dpkg-query", "-W", "-f",
                        "${Package}\t${db:Status-Status}\t${Depends}, "
                        "${Pre-Depends}\t${Provides}\n"],
                       capture_output=True, text=True, check=True)
    deps, provider = {}, {}
    for ln in r.stdout.splitlines():
        f = ln.split("\t")
        if len(f) < 4 or f[1] != "installed":
            continue
        names = []
        for alt in f[2].replace("|", ",").split(","):
            n = alt.strip().split(" ")[0].split(":")[0]
            if n:
                names.append(n)
        deps[f[0]] = names
        for v in f[3].split(","):
            v = v.strip().split(" ")[0]
            if v:
                provider.setdefault(v, []).append(f[0])
    seen, todo = set(), list(listed)
    while todo:
        n = todo.pop()
        for real in ([n] if n in deps else []) + provider.get(n, []):
            if real not in seen:
                seen.add(real)
                todo.extend(deps.get(real, []))
    return seen


def everywhere():
    """Packages every Debian 12 install has (debootstrap's minimal set)."""
    r = subprocess.run(["dpkg-query", "-W", "-f",
                        "${Package} ${Priority} ${Essential}\n"],
                       capture_output=True, text=True, check=True)
    out = set()
    for ln in r.stdout.splitlines():
        f = ln.split()
        if len(f) >= 2 and (f[1] == "required" or "yes" in f[2:]):
            out.add(f[0])
    return out


def main(argv):
    deps, scripts, only_list = [], [], False
    it = iter(argv)
    for a in it:
        if a == "--deps":
            deps.append(next(it))
        elif a == "--list":
            only_list = True
        else:
            scripts.append(a)
    scan = Scan()
    trees = []
    for s in scripts:
        with open(s) as f:
            t = shfmt(f.read(), s)
        trees.append((t, s))
        scan.funcs_of(t)
    for t, s in trees:
        scan.walk(t, s)
    if only_list:
        for c in sorted(scan.cmds):
            print(c, scan.cmds[c])
        return 0
    listed = set()
    for d in deps:
        with open(d) as f:
            for ln in f:
                ln = ln.split("#")[0].split()
                if ln:
                    listed.add(ln[0])
    base = everywhere()
    pulled = closure(listed)
    absent = sorted(p for p in listed if p not in pulled)
    bad = unknown = 0
    paths = {c: (c if c.startswith("/") else shutil.which(c))
             for c in scan.cmds}
    owner = owners(x for c, pth in paths.items()
                   if pth and os.path.exists(pth) for x in candidates(pth))
    for c in sorted(scan.cmds):
        path = paths[c]
        if not path or not os.path.exists(path):
            if absent:
                # a listed package not installed here may provide it
                print("unknown %s: not installed; listed but not installed "
                      "here: %s (used at %s)" % (c, " ".join(absent), scan.cmds[c]))
                unknown += 1
                continue
            print("missing %s: not installed (used at %s)" % (c, scan.cmds[c]))
            bad += 1
            continue
        pkg = next((owner[x] for x in candidates(path) if x in owner), None)
        if pkg is None:
            print("missing %s: %s belongs to no package (used at %s)"
                  % (c, path, scan.cmds[c]))
            bad += 1
        elif pkg in listed or pkg in base:
            print("ok %s %s" % (c, pkg))
        elif pkg in pulled:
            print("ok %s %s (pulled in by a listed package)" % (c, pkg))
        else:
            print("missing %s: package %s is in no deps list (used at %s)"
                  % (c, pkg, scan.cmds[c]))
            bad += 1
    return 1 if bad else 2 if unknown else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
