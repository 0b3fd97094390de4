import Config

# dns_cluster, the seed's way: one query per service, each `{basename, FQDN}`. Each name
# answers with that service's IP, and dns_cluster dials `app@<IP>`.
config :clusterlab, :dns_cluster_query, [
  {"app", "user_svc.msvc_default"},
  {"app", "job_svc.msvc_default"},
  {"app", "email_svc.msvc_default"}
]

# dns_cluster's other options: poll every 500 ms (its default is 5000)
config :clusterlab, :dns_cluster, interval: 500
