"""Log groups of the functions CDK itself adds to the stack to back custom resources."""

from __future__ import annotations

from aws_cdk import CfnResource, CustomResourceProviderBase, RemovalPolicy, Stack
from aws_cdk import aws_logs as logs
from constructs import Construct


class CustomResourceLogs(Construct):
    """Log groups for the Lambda functions CDK adds to the stack to back its custom resources (today:
    emptying the buckets before deletion, stripping the default security group's rules).

    Left alone, Lambda creates ``/aws/lambda/<function name>`` on their first invocation, outside the
    stack, without retention, and it outlives ``cdk destroy``. Each provider function is pointed at a
    group the stack owns instead (``LoggingConfig``, as for our own functions): the function depends on
    its group, so the group exists before any custom resource invokes it and is deleted only after
    the function, on teardown. Create this last in the stack: it adopts the providers that exist.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        # Providers are singletons directly under the stack, with ids like
        # "Custom::S3AutoDeleteObjectsCustomResourceProvider"; their function is the child "Handler".
        for provider in Stack.of(self).node.children:
            if not isinstance(provider, CustomResourceProviderBase):
                continue
            handler = provider.node.find_child("Handler")
            assert isinstance(handler, CfnResource)
            assert handler.cfn_resource_type == "AWS::Lambda::Function"
            name = provider.node.id.removeprefix("Custom::").removesuffix("CustomResourceProvider")
            log_group = logs.LogGroup(self, name, retention=log_retention, removal_policy=removal_policy)
            handler.add_property_override("LoggingConfig.LogGroup", log_group.log_group_name)
