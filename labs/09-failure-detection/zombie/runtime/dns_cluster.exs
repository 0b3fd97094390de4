import Config

# config/runtime.exs of the Phoenix apps (dnscluster, zombie), mounted over their
# release's own. dns_cluster wired as `mix phx.new` generates it: the query comes from
# DNS_CLUSTER_QUERY (compose.yaml: `beam.`, absolute, so no search list applies).
# dns_cluster dials `app@<address>` for every address the name answers, in parallel tasks.
config :clusterlab, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")

# dns_cluster's other options: poll every second (its default is 5000 ms)
config :clusterlab, :dns_cluster, interval: 1_000
