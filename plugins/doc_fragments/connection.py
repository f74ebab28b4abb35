# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options every module that talks to Jira shares. Their argument spec and its
    # constraints are connection_spec() in plugins/module_utils/_jira_client.py.
    DOCUMENTATION = r'''
options:
  url:
    description:
      - Root URL of the Jira site, for example V(https://your-site.atlassian.net) or, for Data Center
        under a context path, V(https://jira.example.com/jira).
      - A trailing slash is accepted. A URL with a user name or password, a query string, a fragment or a
        REST path such as C(/rest/api/2) is refused with a message that says how to fix it.
      - C(http://) is refused unless O(allow_insecure_http=true), because the credentials would travel in clear text.
      - If not set, the value of the environment variable E(JIRA_URL) is used (AWX/AAP custom credentials inject it).
    type: str
    required: true
  username:
    description:
      - The account that the API token belongs to. On Jira Cloud this is the account's email address; on
        Data Center, the login name.
      - Required when O(auth_type=basic).
      - If not set, the value of the environment variable E(JIRA_USERNAME) is used.
    type: str
  api_token:
    description:
      - The API token (Cloud), or the password or personal access token (Data Center).
      - Keep it in Ansible Vault. It is never shown in output, diffs or errors.
      - If not set, the value of the environment variable E(JIRA_API_TOKEN) is used.
    type: str
    required: true
    aliases: [password]
  auth_type:
    description:
      - V(basic) sends O(username) and O(api_token) with HTTP basic authentication, pre-emptively on every
        request (Jira sends no challenge and would otherwise answer as an anonymous user).
      - V(bearer) sends O(api_token) as a Data Center personal access token. Jira Data Center 11 disables
        basic authentication by default.
    type: str
    choices: [basic, bearer]
    default: basic
  deployment:
    description:
      - Which kind of Jira the URL points at. Cloud uses REST API version 3, Data Center version 2.
      - V(auto) treats C(*.atlassian.net), C(*.jira.com) and the API gateway as Cloud without asking, and
        otherwise asks the anonymous C(GET /rest/api/2/serverInfo) once. Set V(cloud) or V(datacenter) to
        skip that request.
    type: str
    choices: [auto, cloud, datacenter]
    default: auto
  scoped_token:
    description:
      - Set to V(true) for a Jira Cloud scoped API token (service accounts can only have scoped tokens).
        Scoped tokens do not work against the site URL; the site's cloud ID is read from the public
        C(/_edge/tenant_info) and requests go to O(api_gateway_url)C(/ex/jira/<cloudId>/rest/api/3).
    type: bool
    default: false
  api_gateway_url:
    description:
      - The Atlassian API gateway used with O(scoped_token=true). Override it for a proxy or for tests.
    type: str
    default: https://api.atlassian.com
  allow_insecure_http:
    description:
      - Allow an C(http://) O(url). Only for test instances on a trusted network.
    type: bool
    default: false
  validate_certs:
    description:
      - Verify the server's TLS certificate. Set to V(false) only for a throwaway test instance; prefer O(ca_path).
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file with the CA certificate(s) that signed the Jira server's certificate.
      - When not set, the file named by the environment variable E(REQUESTS_CA_BUNDLE), or else E(CURL_CA_BUNDLE),
        is used if one is set; otherwise the CA bundle that comes with C(requests).
    type: path
  client_cert:
    description:
      - A PEM client certificate for mutual TLS. Requires O(client_key).
    type: path
  client_key:
    description:
      - The private key of O(client_cert).
    type: path
  timeout:
    description:
      - Seconds one request may take in all, from connecting to reading the last byte of the answer (the TLS
        handshake, the status line and headers included), so a server that sends slowly cannot stretch it.
        Each retry is a new request with its own O(timeout).
      - More than 0 and at most 3600; V(inf), V(nan) and out-of-range values are refused with an error naming the option.
    type: float
    default: 10
  retries:
    description:
      - How many times to retry after HTTP 429, 502, 503, 504 or a connection error, from 0 to 100. A positive
        V(Retry-After) is honoured; without one (or with a V(Retry-After) of 0) a 429's V(X-RateLimit-Reset) time is;
        otherwise the wait doubles each time, with jitter. The V(RateLimit-Reason) Jira gives is named in the
        O(ignore:failure_reason=rate_limited) message.
      - 401 and 403 are never retried, since every failed login counts towards Jira's CAPTCHA lock.
    type: int
    default: 3
  max_retry_wait:
    description:
      - The most seconds spent waiting between retries in all. When Jira asks for a longer wait, the module
        stops and reports O(ignore:failure_reason=rate_limited) at once. From 0 to 3600.
    type: float
    default: 60
notes:
  - "Environment: the proxy variables E(HTTPS_PROXY), E(HTTP_PROXY), E(ALL_PROXY) and E(NO_PROXY) (upper or lower
    case, lower case first) are honoured, and E(REQUESTS_CA_BUNDLE) / E(CURL_CA_BUNDLE) when O(ca_path) is not set.
    Nothing else is read from the environment for the connection: in particular C(~/.netrc) and E(NETRC) are never
    used, so only the credentials given to the module are ever sent (requests would otherwise replace them with a
    netrc entry for the host). Answers are requested uncompressed; a gzip or deflate answer is still decoded, within
    the 1 MiB bound on the decoded size."
requirements:
  - requests (on the host that runs the module; with the role, the controller)
'''
