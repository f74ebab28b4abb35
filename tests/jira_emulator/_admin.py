"""Jira-side administration resources (issue 8): groups, users, application roles, project roles.

Test-only code. Shapes follow ../shared/specs/jira-cloud-platform-v3.openapi.json.
"""

ROUTES = []
