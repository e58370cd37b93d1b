#!/bin/bash
# f2o: joins this instance to ECS cluster {{ECS_CLUSTER}} (Spot Ocean {{OCEAN_NAME}}, {{REGION}}).
# Rendered by f2o-translate from templates/userdata.sh; placeholders:
# ECS_CLUSTER, OCEAN_NAME, REGION, ECS_RESERVED_MEMORY.
cat >> /etc/ecs/ecs.config <<'F2O_EOF'
ECS_CLUSTER={{ECS_CLUSTER}}
ECS_ENABLE_TASK_ENI=true
ECS_AWSVPC_BLOCK_IMDS=true
ECS_RESERVED_MEMORY={{ECS_RESERVED_MEMORY}}
ECS_ENABLE_SPOT_INSTANCE_DRAINING=true
ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM=ec2_instance
F2O_EOF
