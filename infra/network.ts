import { type StageSettings, vpcLayout } from "./settings";

/**
 * The VPC of the database, and of the functions too in "vpc" mode. No NAT gateway (≈ $33 a month
 * each, idle or not).
 *
 * "vpc": the only AWS services the in-VPC functions call are S3 (a free gateway endpoint) and the
 * SageMaker Runtime (an interface endpoint, private DNS on, so the SDK's default hostname resolves
 * to it).
 *
 * "data-api": the VPC holds the Aurora cluster's subnet group alone (Aurora Serverless v2 needs
 * subnets in two AZs even when reached only through the Data API); the functions run outside it
 * and call S3, SageMaker Runtime and the Data API on their public endpoints, so no endpoint at all.
 * The stack's own VPC rather than the account's default one: it costs nothing either, does not
 * depend on a default VPC still existing, and keeps the cluster's subnet group the same in both
 * modes, so switching modes never replaces the database.
 */
export function createNetwork(settings: StageSettings) {
  const layout = vpcLayout(settings.network);
  // Two AZs: an RDS/Aurora subnet group needs subnets in at least two.
  const vpc = new sst.aws.Vpc("Vpc", { az: layout.availabilityZones });
  if (settings.network === "data-api") return { mode: settings.network, vpc } as const;

  const region = aws.getRegionOutput().region;
  const s3Gateway = new aws.ec2.VpcEndpoint("S3GatewayEndpoint", {
    vpcId: vpc.id,
    serviceName: $interpolate`com.amazonaws.${region}.s3`,
    vpcEndpointType: "Gateway",
    routeTableIds: vpc.nodes.privateRouteTables.apply((tables) => tables.map((table) => table.id)),
  });

  // Only HTTPS from the VPC's own security group (the functions') may reach the interface.
  const endpointSecurityGroup = new aws.ec2.SecurityGroup("SageMakerRuntimeEndpointSecurityGroup", {
    vpcId: vpc.id,
    description: "HTTPS to the SageMaker Runtime interface endpoint from the functions",
    ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: vpc.securityGroups }],
  });

  const sagemakerRuntime = new aws.ec2.VpcEndpoint("SageMakerRuntimeEndpoint", {
    vpcId: vpc.id,
    serviceName: $interpolate`com.amazonaws.${region}.${layout.interfaceEndpoints[0]}`,
    vpcEndpointType: "Interface",
    privateDnsEnabled: true,
    subnetIds: vpc.privateSubnets,
    securityGroupIds: [endpointSecurityGroup.id],
  });

  return { mode: settings.network, vpc, s3Gateway, sagemakerRuntime } as const;
}

export type Network = ReturnType<typeof createNetwork>;

/** A function's `vpc` argument: the VPC in "vpc" mode, none (outside any VPC) in "data-api" mode. */
export const functionVpc = (network: Network) => (network.mode === "vpc" ? { vpc: network.vpc } : {});
