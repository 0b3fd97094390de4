import Config

# The release's own runtime configuration, evaluated at every boot. A lesson's or an
# exercise's config/runtime.exs is mounted over this one (releases/<vsn>/runtime.exs).
#
# What `mix phx.new` generates for dns_cluster: the query from the environment, read by
# `{DNSCluster, query: Application.get_env(:clusterlab, :dns_cluster_query) || :ignore}`
# in lib/cluster_lab/application.ex. Unset: dns_cluster does not start.
config :clusterlab, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")
