import { VPC_LAYOUT } from "./settings";

/**
 * The VPC of the database and of the functions that reach it. No NAT gateway (≈ $33 a month
 * each, idle or not): the only AWS services the in-VPC functions call are S3 (a free gateway
 * endpoint) and the SageMaker Runtime (an interface endpoint, private DNS on, so the SDK's
 * default hostname resolves to it).
 */
export function createNetwork() {
  // Two AZs: an RDS/Aurora subnet group needs subnets in at least two.
  const vpc = new sst.aws.Vpc("Vpc", { az: VPC_LAYOUT.availabilityZones });
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
    serviceName: $interpolate`com.amazonaws.${region}.${VPC_LAYOUT.interfaceEndpoints[0]}`,
    vpcEndpointType: "Interface",
    privateDnsEnabled: true,
    subnetIds: vpc.privateSubnets,
    securityGroupIds: [endpointSecurityGroup.id],
  });

  return { vpc, s3Gateway, sagemakerRuntime };
}

export type Network = ReturnType<typeof createNetwork>;
