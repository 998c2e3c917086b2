/* Every API of protocol/generated/kafka_apis.c as X(api_key, Name), for
 * tables over the generated kafka_<Name>Request / kafka_<Name>Response
 * codecs. Keep in step with kafka_apis.c: fuzz_request.c aborts on an api
 * key of that table missing here. */
#ifndef KELP_FUZZ_KAFKA_API_LIST_H
#define KELP_FUZZ_KAFKA_API_LIST_H

#define KELP_FUZZ_APIS(X) \
    X(0, Produce) \
    X(1, Fetch) \
    X(2, ListOffsets) \
    X(3, Metadata) \
    X(4, LeaderAndIsr) \
    X(5, StopReplica) \
    X(6, UpdateMetadata) \
    X(7, ControlledShutdown) \
    X(8, OffsetCommit) \
    X(9, OffsetFetch) \
    X(10, FindCoordinator) \
    X(11, JoinGroup) \
    X(12, Heartbeat) \
    X(13, LeaveGroup) \
    X(14, SyncGroup) \
    X(15, DescribeGroups) \
    X(16, ListGroups) \
    X(17, SaslHandshake) \
    X(18, ApiVersions) \
    X(19, CreateTopics) \
    X(20, DeleteTopics) \
    X(21, DeleteRecords) \
    X(22, InitProducerId) \
    X(23, OffsetForLeaderEpoch) \
    X(24, AddPartitionsToTxn) \
    X(25, AddOffsetsToTxn) \
    X(26, EndTxn) \
    X(27, WriteTxnMarkers) \
    X(28, TxnOffsetCommit) \
    X(29, DescribeAcls) \
    X(30, CreateAcls) \
    X(31, DeleteAcls) \
    X(32, DescribeConfigs) \
    X(33, AlterConfigs) \
    X(34, AlterReplicaLogDirs) \
    X(35, DescribeLogDirs) \
    X(36, SaslAuthenticate) \
    X(37, CreatePartitions) \
    X(38, CreateDelegationToken) \
    X(39, RenewDelegationToken) \
    X(40, ExpireDelegationToken) \
    X(41, DescribeDelegationToken) \
    X(42, DeleteGroups) \
    X(43, ElectLeaders) \
    X(44, IncrementalAlterConfigs) \
    X(45, AlterPartitionReassignments) \
    X(46, ListPartitionReassignments) \
    X(47, OffsetDelete) \
    X(48, DescribeClientQuotas) \
    X(49, AlterClientQuotas) \
    X(50, DescribeUserScramCredentials) \
    X(51, AlterUserScramCredentials) \
    X(52, Vote) \
    X(53, BeginQuorumEpoch) \
    X(54, EndQuorumEpoch) \
    X(55, DescribeQuorum) \
    X(56, AlterPartition) \
    X(57, UpdateFeatures) \
    X(58, Envelope) \
    X(59, FetchSnapshot) \
    X(60, DescribeCluster) \
    X(61, DescribeProducers) \
    X(62, BrokerRegistration) \
    X(63, BrokerHeartbeat) \
    X(64, UnregisterBroker) \
    X(65, DescribeTransactions) \
    X(66, ListTransactions) \
    X(67, AllocateProducerIds) \
    X(68, ConsumerGroupHeartbeat) \
    X(69, ConsumerGroupDescribe) \
    X(70, ControllerRegistration) \
    X(71, GetTelemetrySubscriptions) \
    X(72, PushTelemetry) \
    X(73, AssignReplicasToDirs) \
    X(74, ListClientMetricsResources) \
    X(75, DescribeTopicPartitions) \
    X(76, ShareGroupHeartbeat) \
    X(77, ShareGroupDescribe) \
    X(78, ShareFetch) \
    X(79, ShareAcknowledge) \
    X(80, AddRaftVoter) \
    X(81, RemoveRaftVoter) \
    X(82, UpdateRaftVoter) \
    X(83, InitializeShareGroupState) \
    X(84, ReadShareGroupState) \
    X(85, WriteShareGroupState) \
    X(86, DeleteShareGroupState) \
    X(87, ReadShareGroupStateSummary)

#endif
