#!/usr/bin/python3
"""The generated C tables equal what their generators make from the model
copies in tests/models/ (so a model update cannot silently drift)."""
import subprocess
import sys

AAS_OPS = ["RegisterScalableTarget", "PutScalingPolicy", "PutScheduledAction",
           "DeregisterScalableTarget", "DeleteScalingPolicy",
           "DeleteScheduledAction", "DescribeScalableTargets"]
CASES = [
    ("tests/tools/gen_ecs_shapes.py", "tests/models/ecs/2014-11-13/service-2.json",
     "translate/ecs_shapes.c"),
    ("tests/tools/gen_ecs_shapes.py",
     "tests/models/application-autoscaling/2016-02-06/service-2.json aasm " +
     " ".join(AAS_OPS), "translate/aas_shapes.c"),
    ("tests/tools/gen_ecs_shapes.py",
     "tests/models/cloudwatch/2010-08-01/service-2.json cwm PutMetricAlarm "
     "DeleteAlarms", "translate/cw_shapes.c"),
    ("tests/tools/gen_ec2_shapes.py", "tests/models/ec2/2016-11-15/service-2.json",
     "exec/ec2_shapes.c"),
]
passed = failed = 0
for gen, model, out in CASES:
    made = subprocess.run([sys.executable, gen] + model.split(), capture_output=True,
                          text=True).stdout
    if made == open(out).read():
        print("ok   %s is what %s makes" % (out, gen))
        passed += 1
    else:
        print("FAIL %s differs from the output of %s %s" % (out, gen, model))
        failed += 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
