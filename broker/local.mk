# broker: the Kafka API handlers, one file per API.
libkelpcore_la_SOURCES += \
	broker/broker.c broker/broker.h \
	broker/cluster_id.c broker/cluster_id.h \
	broker/api_versions.c \
	broker/metadata.c \
	broker/produce.c \
	broker/fetch.c \
	broker/list_offsets.c \
	broker/group_common.c broker/group_common.h \
	broker/find_coordinator.c \
	broker/join_group.c \
	broker/sync_group.c \
	broker/heartbeat.c \
	broker/leave_group.c \
	broker/describe_groups.c \
	broker/list_groups.c \
	broker/delete_groups.c \
	broker/offset_commit.c \
	broker/offset_fetch.c \
	broker/offset_delete.c \
	broker/txn_common.h \
	broker/init_producer_id.c \
	broker/add_partitions_to_txn.c \
	broker/add_offsets_to_txn.c \
	broker/end_txn.c \
	broker/txn_offset_commit.c \
	broker/describe_producers.c \
	broker/describe_transactions.c \
	broker/list_transactions.c \
	broker/groups_admin.c \
	broker/topics_admin.c \
	broker/producers_admin.c \
	broker/metrics_scrape.c \
	broker/topic_configs.c broker/topic_configs.h \
	broker/create_topics.c \
	broker/create_partitions.c \
	broker/delete_topics.c \
	broker/describe_cluster.c \
	broker/broker_configs.c broker/broker_configs.h \
	broker/describe_configs.c \
	broker/alter_configs.c \
	broker/log_maintenance.c broker/log_maintenance.h \
	broker/delete_records.c \
	broker/describe_log_dirs.c \
	broker/describe_topic_partitions.c \
	broker/offset_for_leader_epoch.c \
	broker/sasl.c \
	broker/authorizer.c broker/authorizer.h \
	broker/acls.c
