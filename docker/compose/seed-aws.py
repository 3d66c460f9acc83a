#!/usr/bin/env python3
"""Seeds an AWS emulator (moto) with what wavelb-agent expects to find, then writes the agent's
config with the ids the emulator chose.

Creates, when missing: the public hosted zone (apex of --record-name), the Cloud Map HTTP namespace
with the two services the agent uses (custom health, as docs/wavelength.md sets them up on AWS),
and one HEALTHY instance per --target in the targets service, with the attributes ECS writes.
Then renders --template into --out, replacing ${HOSTED_ZONE_ID} (and each --set NAME=VALUE).

Used by docker/compose.yaml (the `seed` service, before the agent's plan) and by
docker/test-image.sh (against a local moto, before the image's agent runs). Never point it at AWS:
it refuses any endpoint that is not an emulator's http:// URL.

  seed-aws.py --endpoint http://127.0.0.1:5055 --template agent.yaml.in --out agent.yaml \
              --target 10.0.1.10:7000 --zone us-east-1-wl1-bos-wlz-1
"""
import argparse
import os
import sys
import time

import boto3


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", required=True, help="the emulator, http://HOST:PORT")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--record-name", default="media.example.com")
    p.add_argument("--namespace", default="edge.local")
    p.add_argument("--service", default="wavelb")
    p.add_argument("--targets-service", default="media-servers")
    p.add_argument("--zone", default="us-east-1-wl1-bos-wlz-1", help="AVAILABILITY_ZONE of the targets")
    p.add_argument("--target", action="append", default=[], metavar="IP:PORT")
    p.add_argument("--template", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="also replace ${NAME} in the template")
    args = p.parse_args()
    if not args.endpoint.startswith("http://"):
        print(f"seed-aws: {args.endpoint}: only an emulator's http:// endpoint, never AWS", file=sys.stderr)
        return 2

    # An emulator takes any credentials; never pick up real ones from the environment.
    session = boto3.session.Session(aws_access_key_id="wavelb", aws_secret_access_key="wavelb",
                                    region_name=args.region)
    r53 = session.client("route53", endpoint_url=args.endpoint)
    sd = session.client("servicediscovery", endpoint_url=args.endpoint)

    apex = args.record_name.split(".", 1)[1] + "."
    zones = [z for z in r53.list_hosted_zones_by_name(DNSName=apex)["HostedZones"] if z["Name"] == apex]
    if zones:
        zone_id = zones[0]["Id"]
    else:
        zone_id = r53.create_hosted_zone(Name=apex, CallerReference=f"wavelb-seed-{time.time_ns()}")["HostedZone"]["Id"]
    zone_id = zone_id.removeprefix("/hostedzone/")

    namespaces = [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == args.namespace]
    if namespaces:
        ns_id = namespaces[0]["Id"]
    else:
        op = sd.create_http_namespace(Name=args.namespace, CreatorRequestId=f"wavelb-seed-{time.time_ns()}")
        ns_id = next(iter(sd.get_operation(OperationId=op["OperationId"])["Operation"]["Targets"].values()))
    services = {s["Name"]: s["Id"] for s in sd.list_services(
        Filters=[{"Name": "NAMESPACE_ID", "Values": [ns_id], "Condition": "EQ"}])["Services"]}
    for name in (args.service, args.targets_service):
        if name not in services:
            services[name] = sd.create_service(Name=name, NamespaceId=ns_id,
                                               HealthCheckCustomConfig={"FailureThreshold": 1})["Service"]["Id"]

    existing = {i["Id"] for i in sd.list_instances(ServiceId=services[args.targets_service])["Instances"]}
    for target in args.target:
        ip, port = target.rsplit(":", 1)
        instance_id = f"target-{ip}-{port}"
        if instance_id in existing:
            continue
        sd.register_instance(ServiceId=services[args.targets_service], InstanceId=instance_id,
                             Attributes={"AWS_INSTANCE_IPV4": ip, "AWS_INSTANCE_PORT": port,
                                         "AVAILABILITY_ZONE": args.zone})
        sd.update_instance_custom_health_status(ServiceId=services[args.targets_service],
                                                InstanceId=instance_id, Status="HEALTHY")

    with open(args.template, encoding="utf-8") as f:
        text = f.read()
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        values = dict(kv.split("=", 1) for kv in args.set) | {"HOSTED_ZONE_ID": zone_id}
        for name, value in values.items():
            text = text.replace("${" + name + "}", value)
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.out)
    print(f"seed-aws: zone {zone_id} ({apex}), namespace {args.namespace} ({ns_id}), "
          f"{len(args.target)} target(s) in {args.targets_service}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
