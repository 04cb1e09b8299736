"""Network: a VPC with isolated subnets only, endpoints instead of a NAT, and the security groups."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from docpipe_infra import constants as c


class Network(Construct):
    """Two AZs of isolated subnets. The functions reach S3 and DynamoDB through gateway endpoints
    (free), SQS through one interface endpoint, and Redis through the cache security group; X-Ray
    through another interface endpoint when ``xray_endpoint`` is set.

    There is no NAT gateway and no internet gateway: nothing here calls the internet, and a NAT would
    cost more per month than the rest of the stack at low volume. Presigning S3 URLs is local
    computation with the role's credentials and needs no network.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        removal_policy: RemovalPolicy,
        log_retention: logs.RetentionDays,
        xray_endpoint: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(c.VPC_CIDR),
            max_azs=c.VPC_MAX_AZS,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=c.SUBNET_CIDR_MASK
                )
            ],
            # Nothing uses the default security group; strip its allow-all rules.
            restrict_default_security_group=True,
        )
        self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.subnet_ids = self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids
        self._add_flow_log(removal_policy=removal_policy, log_retention=log_retention)
        self.function_security_group = self._function_security_group()
        self.cache_security_group = self._cache_security_group()
        self._add_endpoints(xray=xray_endpoint)

    def _add_flow_log(self, *, removal_policy: RemovalPolicy, log_retention: logs.RetentionDays) -> None:
        # Rejected flows only: they are what explains a function that cannot reach Redis or an
        # endpoint, at a fraction of the ingestion cost of ALL.
        log_group = logs.LogGroup(self, "FlowLogs", retention=log_retention, removal_policy=removal_policy)
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(log_group),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )

    def _function_security_group(self) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self,
            "FunctionSecurityGroup",
            vpc=self.vpc,
            description="docpipe functions: HTTPS to the VPC endpoints, TLS to the cache",
            allow_all_outbound=False,
        )
        # The isolated subnets route nowhere but the VPC and the gateway endpoints' prefix lists, so
        # 443 to "anywhere" reaches only AWS endpoints. Naming the S3/DynamoDB prefix lists instead
        # would need a context lookup per region, which synth must not do.
        group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(c.HTTPS_PORT), "AWS APIs via VPC endpoints")
        return group

    def _cache_security_group(self) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self,
            "CacheSecurityGroup",
            vpc=self.vpc,
            description="docpipe cache: reachable from the docpipe functions only",
            allow_all_outbound=False,
        )
        group.add_ingress_rule(self.function_security_group, ec2.Port.tcp(c.CACHE_PORT), "docpipe functions")
        self.function_security_group.add_egress_rule(group, ec2.Port.tcp(c.CACHE_PORT), "docpipe cache")
        return group

    def _add_endpoints(self, *, xray: bool) -> None:
        for name, service in (
            ("S3", ec2.GatewayVpcEndpointAwsService.S3),
            ("DynamoDb", ec2.GatewayVpcEndpointAwsService.DYNAMODB),
        ):
            self.vpc.add_gateway_endpoint(f"{name}Endpoint", service=service, subnets=[self.subnets])
        endpoint_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="docpipe interface endpoints: HTTPS from the docpipe functions",
            allow_all_outbound=False,
        )
        endpoint_group.add_ingress_rule(
            self.function_security_group, ec2.Port.tcp(c.HTTPS_PORT), "docpipe functions"
        )
        # boto3 calls sqs.<region>.amazonaws.com; private DNS points that name at the endpoint.
        interface_endpoints: list[tuple[str, ec2.IInterfaceVpcEndpointService]] = [
            ("SqsEndpoint", ec2.InterfaceVpcEndpointAwsService.SQS)
        ]
        if xray:
            # The X-Ray daemon inside each traced function sends its segments (the handler's own and
            # the AWS SDK calls it traces) to xray.<region>.amazonaws.com through the function's VPC
            # interface; isolated subnets have no route there. Without this endpoint a trace holds
            # only what Lambda and API Gateway send themselves. Cost: an interface endpoint is billed
            # per AZ-hour, $0.01 x 2 AZs x 730 h = ~$14.60/month, plus $0.01/GB, hence opt-in.
            interface_endpoints.append(("XRayEndpoint", ec2.InterfaceVpcEndpointAwsService.XRAY))
        for endpoint_id, interface_service in interface_endpoints:
            self.vpc.add_interface_endpoint(
                endpoint_id,
                service=interface_service,
                subnets=self.subnets,
                security_groups=[endpoint_group],
                private_dns_enabled=True,
                open=False,
            )
