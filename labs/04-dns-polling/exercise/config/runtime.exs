import Config

# dns_cluster, wired as `mix phx.new` generates it: the query comes from DNS_CLUSTER_QUERY,
# and lib/cluster_lab/application.ex starts
#   {DNSCluster, query: Application.get_env(:clusterlab, :dns_cluster_query) || :ignore}
# dns_cluster dials `<its own basename>@<address>` for every address the query answers.
config :clusterlab, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")

# dns_cluster's other options: poll every 500 ms (its default is 5000)
config :clusterlab, :dns_cluster, interval: 500
