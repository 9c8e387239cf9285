/* rowsrc.c — the table of row sources (rowsrc.h): FROM flow(name), transitions(name)
 * and retention(name). Adding a source is adding its file and its row here.
 */
#include <strings.h>

#include "rowsrc.h"

static const shoal_rowsrc sources[] = {
    {"flow", shoal_flow_plan, shoal_flow_rows, shoal_flow_explain},
    {"transitions", shoal_flow_plan, shoal_flow_rows, shoal_flow_explain},
    {"retention", shoal_retention_plan, shoal_retention_rows, shoal_retention_explain},
    {"activity", shoal_activity_plan, shoal_activity_rows, shoal_activity_explain},
    {"lifecycle", shoal_lifecycle_plan, shoal_activity_rows, shoal_activity_explain},
};

const char shoal_rowsrc_names[] = "flow, transitions, retention, activity, lifecycle";

const shoal_rowsrc *shoal_rowsrc_find(const char *name)
{
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (!strcasecmp(name, sources[i].name)) return &sources[i];
    return NULL;
}
