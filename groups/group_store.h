/* Group metadata on the filer (offsets/offset_path.h names the file): what
 * a restart needs to keep a group as it was — generation, protocol, leader
 * and members with their subscriptions and assignments — so that members
 * keep heartbeating through a restart and static members keep their place. */
#ifndef KELP_GROUPS_GROUP_STORE_H
#define KELP_GROUPS_GROUP_STORE_H

#include "groups/group.h"
#include "storage/file_writer.h"
#include "storage/fs.h"

/* Queues the group's file (Stable and Empty groups are saved). */
void kelp_group_store_save(kelp_file_writer *w, const kelp_group *g);
/* Queues the removal of the group's directory. */
void kelp_group_store_remove(kelp_file_writer *w, const char *id, size_t len);
/* Calls fn with each saved group, malloc'd with its members (the callee
 * owns it; timers and coord are unset). Unreadable files are skipped. */
int kelp_group_store_load(kelp_fs *fs, void (*fn)(void *ctx, kelp_group *g), void *ctx);
/* Frees a group and its members (not its timers). */
void kelp_group_free(kelp_group *g);

#endif
