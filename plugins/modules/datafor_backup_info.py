#!/usr/bin/python
# Copyright: Datafor collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: datafor_backup_info
short_description: Read the scheduled backup configs of a Datafor server
version_added: 0.1.0
description:
  - Reads the backup configs of the Datafor backup plugin with its query
    endpoint and returns them as normalised facts that a playbook can assert on
    directly, for example that required backups exist, are enabled and are
    scheduled.
  - Only ever sends C(POST /plugin/datafor-backup/api/query); it changes
    nothing on the server.
  - A record field that the server leaves out, or sends in a form the module
    cannot read, comes back as null with one warning per kind of problem; the
    record as received is always in RV(backups[].raw).
author:
  - Datafor collection maintainers (@datafor)
extends_documentation_fragment:
  - datafor.platform.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: none
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: The module only reads, so check mode runs the same query.
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    support: full
    platforms: posix
  action_group:
    description: Use C(group/datafor.platform.datafor) in O(ignore:module_defaults).
    support: full
    membership:
      - datafor.platform.datafor
options:
  name:
    description:
      - Keep only the backup configs with one of these names, compared exactly.
      - Names that match no backup config are listed in RV(missing).
      - With O(id), a backup config is kept when it matches either option.
    type: list
    elements: str
  id:
    description:
      - Keep only the backup configs with one of these ids.
      - Ids that match no backup config are listed in RV(missing).
    type: list
    elements: str
requirements:
  - The user must be in the Datafor Administrator role.
"""

EXAMPLES = r"""
- name: Read every backup config
  datafor.platform.datafor_backup_info:
    url: https://bi.example.com:28080/datafor
    username: backup-auditor
    password: "{{ vault_datafor_password }}"
  delegate_to: localhost
  register: datafor

- name: Check that the required backups exist, are enabled and are scheduled
  module_defaults:
    group/datafor.platform.datafor:
      url: https://bi.example.com:28080/datafor
      username: backup-auditor
      password: "{{ vault_datafor_password }}"
      ca_path: /etc/pki/tls/certs/company-ca.pem
  delegate_to: localhost
  block:
    - name: Read the required backup configs
      datafor.platform.datafor_backup_info:
        name:
          - nightly-full
          - weekly-content
      register: required

    - name: Fail unless each one exists, is enabled and has a next run
      ansible.builtin.assert:
        that:
          - required.missing | length == 0
          - required.backups | rejectattr('enabled') | list | length == 0
          - required.backups | selectattr('state', '!=', 'NORMAL') | list | length == 0
          - required.backups | selectattr('next_run', 'none') | list | length == 0
        fail_msg: >-
          Missing: {{ required.missing }}.
          Disabled: {{ required.backups | rejectattr('enabled')
          | map(attribute='name') }}.
          Not scheduled: {{ required.backups | selectattr('state', '!=', 'NORMAL')
          | map(attribute='name') }}.
        success_msg: All required backups exist, are enabled and are scheduled.

- name: Read one backup config by id with a token from the environment
  datafor.platform.datafor_backup_info:
    url: "{{ lookup('ansible.builtin.env', 'DATAFOR_URL') }}"
    token: "{{ lookup('ansible.builtin.env', 'DATAFOR_TOKEN') }}"
    id: 51b51905fc0b482f995f0f32b48105ba
  delegate_to: localhost
  register: one_backup
"""

RETURN = r"""
backups:
  description:
    - The backup configs that match O(name) and O(id), or all of them, in the
      order the server returned them.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Id of the backup config, 32 hexadecimal characters.
      type: str
      returned: always
      sample: 51b51905fc0b482f995f0f32b48105ba
    name:
      description: Display name. Datafor does not enforce unique names.
      type: str
      returned: always
      sample: nightly-full
    enabled:
      description:
        - Whether the backup config is enabled, read from C(enable) (V("1") or
          V("0")).
        - Null when the server sent no value or one the module cannot read.
      type: bool
      returned: always
      sample: true
    state:
      description:
        - Quartz job state, such as V(NORMAL), V(PAUSED), V(COMPLETE),
          V(ERROR), V(BLOCKED) or V(UNKNOWN).
      type: str
      returned: always
      sample: NORMAL
    folder:
      description: Repository folder that receives the backup archives.
      type: str
      returned: always
      sample: backup/
    contents:
      description:
        - What each backup holds, the ids from C(config). V(db) is content and
          settings, V(upload) uploaded data files and V(file) application
          files.
        - Empty when the server sent no C(config).
      type: list
      elements: str
      returned: always
      sample: [db, upload]
    trigger:
      description: Quartz cron expression with 7 fields, from C(trigger).
      type: str
      returned: always
      sample: "0 12 11 */3 * ? *"
    schedule:
      description:
        - The trigger object from C(cron) with its keys in snake_case, and
          C(uiPassParam) renamed to RV(backups[].schedule.type).
        - Keys the server adds, such as C(days_of_week), are kept.
        - Null when the server sent no C(cron) or one that holds no trigger.
      type: dict
      returned: always
      contains:
        type:
          description:
            - V(RUN_ONCE), V(SECONDS), V(MINUTES), V(HOURS), V(DAILY),
              V(WEEKLY), V(MONTHLY), V(YEARLY) or V(CRON).
          type: str
          returned: always
          sample: DAILY
        start_time:
          description: Start of the schedule, ISO 8601 with an offset.
          type: str
          returned: always
          sample: "2024-11-15T11:12:00.000+08:00"
        end_time:
          description: End of the schedule, or null for none.
          type: str
          returned: always
        repeat_interval:
          description: Seconds between runs.
          type: int
          returned: always
          sample: 259200
        repeat_count:
          description: Number of repeats; V(-1) repeats forever.
          type: int
          returned: always
          sample: -1
        cron_string:
          description:
            - Cron expression of the trigger; V(TO_BE_GENERATED) means the
              server derived RV(backups[].trigger) itself.
          type: str
          returned: always
          sample: TO_BE_GENERATED
        days_of_week:
          description: Days the backup runs, V("0") being Sunday.
          type: list
          elements: str
          returned: when the server sends it
          sample: ["1", "2", "3", "4", "5"]
    next_run:
      description: Next scheduled run, ISO 8601 in UTC; null when unknown.
      type: str
      returned: always
      sample: "2025-02-28T03:12:00Z"
    next_run_epoch:
      description: Next scheduled run in seconds since the epoch; null when unknown.
      type: int
      returned: always
      sample: 1740712320
    last_run:
      description:
        - Last run, ISO 8601 in UTC; null when unknown. Only newer Datafor
          versions send it.
      type: str
      returned: always
    last_run_epoch:
      description: Last run in seconds since the epoch; null when unknown.
      type: int
      returned: always
    job_id:
      description: Scheduler key of the job, C(USER<tab>JOBNAME<tab>UUID).
      type: str
      returned: always
      sample: "admin\tBackupTaskAction\td90a02fa-f4b3-11ef-833b-14755bc39e02"
    created_by:
      description: User who created the backup config.
      type: str
      returned: always
      sample: admin
    created_at:
      description:
        - Creation time in the server's local time, ISO 8601 without an offset,
          because the server does not send its time zone.
      type: str
      returned: always
      sample: "2024-11-15T11:02:41.876"
    updated_by:
      description: User who last changed the backup config.
      type: str
      returned: always
      sample: admin
    updated_at:
      description:
        - Time of the last change, in the same form as RV(backups[].created_at).
      type: str
      returned: always
      sample: "2025-02-27T10:37:54.827"
    raw:
      description:
        - The record exactly as the server returned it, including fields this
          module does not read.
      type: dict
      returned: always
missing:
  description:
    - The requested names and ids, in the order given, that matched no backup
      config. Empty when all were found.
  returned: when O(name) or O(id) is set
  type: list
  elements: str
  sample: [weekly-content]
error:
  description:
    - Details of the failure, beside the message in C(msg).
  returned: failure
  type: dict
  contains:
    kind:
      description:
        - Class of failure, V(options), V(connection), V(timeout), V(tls),
          V(http), V(authentication), V(redirect), V(response), V(api) or
          V(permission).
      type: str
      returned: failure
    method:
      description: HTTP method of the failed request.
      type: str
      returned: failure
    url:
      description: URL of the failed request, without credentials.
      type: str
      returned: failure
    status:
      description: HTTP status of the response, null when there was none.
      type: int
      returned: failure
    server_msg:
      description: The C(msg) the server returned, if any.
      type: str
      returned: failure
    server_code:
      description: The C(code) the server returned, as text, if any.
      type: str
      returned: failure
    tries:
      description: Number of tries made, when the request was retried.
      type: int
      returned: failure
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.datafor.platform.plugins.module_utils.backup_configs import (
    build_backup_facts,
    query_backup_configs,
)
from ansible_collections.datafor.platform.plugins.module_utils.client import (
    DataforClient,
)
from ansible_collections.datafor.platform.plugins.module_utils.connection import (
    ConnectionSettings,
    connection_argument_spec,
)
from ansible_collections.datafor.platform.plugins.module_utils.errors import (
    DataforError,
)


def main() -> None:
    argument_spec = connection_argument_spec()
    argument_spec.update(
        name={"type": "list", "elements": "str"},
        id={"type": "list", "elements": "str"},
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    try:
        settings = ConnectionSettings.from_params(module.params)
        # Credentials read from DATAFOR_* variables are not module options, so
        # Ansible does not know to mask them; every form of them is added here.
        module.no_log_values.update(settings.secrets())
        client = DataforClient(settings)
        query = query_backup_configs(client)
    except DataforError as error:
        module.fail_json(msg=str(error), error=error.details())

    facts = build_backup_facts(query, module.params["name"], module.params["id"])
    for warning in facts.warnings + client.retry_notes:
        module.warn(warning)

    result = {"changed": False, "backups": facts.backups}
    if facts.missing is not None:
        result["missing"] = facts.missing
    module.exit_json(**result)


if __name__ == "__main__":
    main()
