#!/usr/bin/python3
"""Regenerates translate/f2o-translate.1 from `f2o-translate --help`, so the
man page and --help cannot drift (tests/cli/cli.sh checks it)."""
import re, subprocess, sys

exe = sys.argv[1] if len(sys.argv) > 1 else "./build/f2o-translate"
help_text = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True).stdout
out = [".Dd November 26, 2026", ".Dt F2O-TRANSLATE 1", ".Os", ".Sh NAME", ".Nm f2o-translate",
       ".Nd turn AWS CLI exports of ECS Fargate services into an f2o bundle", ".Sh SYNOPSIS", ".Nm",
       ".Op Ar OPTIONS", ".Ar EXPORT ...", ".Fl o Ar BUNDLE", ".Sh DESCRIPTION", ".Nm",
       "reads the output of", ".Ic aws ecs describe-services ,", ".Ic aws ecs describe-task-definition",
       "and", ".Ic aws ec2 describe-security-groups",
       "(files or directories, in any mix) and writes a bundle: every request that",
       ".Xr f2o-exec 1", "will send, an ordered plan, a human review and a cost report.",
       "It needs no credentials and no network. The same inputs give the same bytes; the SHA-256 of",
       "the bundle's manifest.json (the bundle digest) is printed on standard output.", ".Pp",
       "Every option may also be given as a key of the same name in the JSON object read with",
       ".Fl -config ;", "options on the command line win.", ".Bl -tag -width Ds"]
for line in help_text.splitlines():
    m = re.match(r"  --(\S+)(?: (\S+))?\s{2,}(.*)", line)
    if not m or m.group(1) in ("help", "version"):
        continue
    name, arg, desc = m.groups()
    out.append(".It Fl -%s%s" % (name, (" Ar " + arg) if arg else ""))
    out.append(desc.replace("\\", "\\\\"))
out += [".It Fl h , Fl -help", "print the options and exit", ".It Fl V , Fl -version",
        "print the version and exit", ".El", ".Sh FILES", ".Bl -tag -width Ds", ".It Pa templates/",
        "payload defaults, user data, instance catalog and prices; see", ".Fl -templates", ".El",
        ".Sh EXIT STATUS", ".Bl -tag -width Ds", ".It 0", "bundle written", ".It 1",
        "bad input: the message names the file, the line or JSON path, and the reason; nothing is written",
        ".It 2", "usage error", ".El", ".Sh EXAMPLES", ".Bd -literal -offset indent",
        "f2o-translate --config fixtures/demo/f2o.json fixtures/demo -o demo.tar.gz", ".Ed",
        ".Sh SEE ALSO", ".Xr f2o-exec 1", ".Pp", "BUNDLE.md describes the bundle format."]
open("translate/f2o-translate.1", "w").write("\n".join(out) + "\n")
