// The JSON bodies ACK answers, field names exactly as the vendor document gives them (digest §3,
// §5), computed from the live records at `now`.
import { chinaTime, chinaTimeNanos } from "./ids.ts";
import {
  type AccountRecord,
  type AckState,
  type ClusterRecord,
  clusterState,
  type NodeRecord,
  nodeState,
  type PoolRecord,
  poolStatus,
  type TaskRecord,
  taskState,
} from "./state.ts";

/** DescribeClustersV1 item / DescribeClusterDetail body (without the ASAPI extras). */
export function clusterView(
  state: AckState,
  account: AccountRecord,
  cluster: ClusterRecord,
  now: number,
): Record<string, unknown> {
  const view: Record<string, unknown> = {
    cluster_id: cluster.id,
    name: cluster.name,
    cluster_type: cluster.clusterType,
    cluster_spec: cluster.clusterType === "ManagedKubernetes" ? "ack.pro.small" : "ack.standard",
    profile: "Default",
    state: clusterState(state, cluster, now),
    size: cluster.nodes.length, // masters included, as the vendor documents
    region_id: cluster.region,
    zone_id: cluster.zoneId,
    current_version: cluster.version,
    init_version: cluster.version,
    next_version: "",
    docker_version: "",
    deletion_protection: false,
    network_mode: "vpc",
    vpc_id: cluster.vpcId,
    vswitch_id: cluster.vswitchId,
    security_group_id: cluster.securityGroupId,
    subnet_cidr: "172.20.0.0/16",
    external_loadbalancer_id: `lb-${cluster.id.slice(1, 22)}`,
    master_url: JSON.stringify({
      api_server_endpoint: cluster.publicIp ? `https://${cluster.publicIp}:6443` : "",
      intranet_api_server_endpoint: `https://${cluster.intranetIp}:6443`,
    }),
    meta_data: JSON.stringify({ Addons: [], KubernetesVersion: cluster.version.split("-")[0] }),
    private_zone: false,
    resource_group_id: account.apsara ? `rg-${account.apsara.resourceGroupId}` : "",
    worker_ram_role_name: `KubernetesWorkerRole-${cluster.id.slice(1, 13)}`,
    maintenance_window: {
      enable: false,
      maintenance_time: "03:00:00Z",
      duration: "3h",
      weekly_period: "Monday",
    },
    tags: cluster.tags,
    created: chinaTime(cluster.created),
    updated: chinaTime(cluster.updated),
  };
  if (account.apsara) {
    // Added by the Apsara Stack gateway to list-type answers (digest §1.6).
    view.Department = Number(account.apsara.organizationId);
    view.DepartmentName = `dept-${account.apsara.organizationId}`;
    view.ResourceGroup = Number(account.apsara.resourceGroupId);
    view.ResourceGroupName = `rs-${account.name}`;
    view.RMRegionId = cluster.region;
    view.RegionId = cluster.region;
  }
  if (cluster.malformed) delete view.state;
  return view;
}

/** DescribeClusterNodePoolDetail body, and each item of DescribeClusterNodePools. */
export function poolView(cluster: ClusterRecord, pool: PoolRecord, now: number): Record<string, unknown> {
  const view: Record<string, unknown> = {
    auto_scaling: { ...pool.autoScaling, eip_bandwidth: 0, is_bond_eip: false },
    kubernetes_config: { ...pool.kubernetesConfig, node_name_mode: "" },
    nodepool_info: {
      nodepool_id: pool.id,
      name: pool.name,
      is_default: pool.isDefault,
      type: "ess",
      region_id: cluster.region,
      resource_group_id: "",
      created: chinaTimeNanos(pool.created, pool.nanos),
      updated: chinaTime(pool.updated),
    },
    scaling_group: { ...pool.scalingGroup, login_password: "" },
    status: poolStatus(cluster, pool, now),
    tee_config: { tee_enable: pool.teeEnable },
  };
  if (pool.malformed) delete view.status;
  return view;
}

/** DescribeClusterNodes item. */
export function nodeView(node: NodeRecord, now: number): Record<string, unknown> {
  const state = nodeState(node, now);
  return {
    instance_id: node.instanceId,
    instance_name: `worker-k8s-for-cs-${node.instanceId.slice(2, 10)}`,
    node_name: node.name,
    host_name: node.name,
    nodepool_id: node.poolId ?? "",
    instance_role: node.role,
    instance_type: node.instanceType,
    instance_type_family: node.instanceType.split(".").slice(0, 2).join("."),
    instance_charge_type: node.chargeType,
    instance_status: state === "initial" ? "Starting" : state === "removing" ? "Stopping" : "Running",
    node_status: state === "running" || state === "removing" ? "Ready" : "Unknown",
    state,
    ip_address: [node.ip],
    image_id: "aliyun_3_x64_20G_alibase_20230727.vhd",
    is_aliyun_node: true,
    source: node.role === "Master" ? "ROS" : "ess_attach",
    error_message: node.failed ? "node failed to join the cluster" : "",
    creation_time: chinaTime(node.created),
    expired_time: node.chargeType === "PrePaid" ? chinaTime(node.created + 365 * 86_400_000) : "",
  };
}

/** DescribeTaskInfo body (public ACK `GET /tasks/{task_id}`). */
export function taskView(task: TaskRecord, now: number): Record<string, unknown> {
  const state = taskState(task, now);
  const ended = state === "success";
  return {
    task_id: task.id,
    cluster_id: task.clusterId,
    task_type: task.type,
    state,
    created: chinaTime(task.created),
    updated: chinaTime(ended ? task.finishesAt : now),
    current_stage: ended ? "" : task.type,
    target: task.target,
    parameters: task.parameters,
    stages: [
      {
        state,
        start_time: chinaTime(task.created),
        end_time: ended ? chinaTime(task.finishesAt) : "",
        message: "",
        outputs: {},
      },
    ],
    error: null,
    task_result: task.instances.map((data) => ({ data, status: ended ? "success" : "running" })),
  };
}
