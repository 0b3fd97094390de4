defmodule ClusterLab.Legacy do
  @moduledoc """
  The lab's former clustering variables, mapped onto the configuration a real project
  writes, so a Compose file that still sets them gets the same upstream-shaped children
  (`Cluster.Supervisor`, `DNSCluster`). No lesson or exercise sets them: each has its
  own config/runtime.exs. Only the fidelity fixtures (tests/fidelity/*.yaml) still do;
  this module goes once they are on files too.

    * `CLUSTER_STRATEGY=epmd`: `topologies: [<CLUSTER_TOPOLOGY or epmd>: [strategy:
      Cluster.Strategy.Epmd, config: [hosts: CLUSTER_HOSTS, timeout: CLUSTER_TIMEOUT]]]`
    * `CLUSTER_STRATEGY=dnspoll`: `Cluster.Strategy.DNSPoll` with `query: DNS_QUERY`,
      `node_basename: DNS_BASENAME`, `polling_interval: DNS_POLL_MS`
    * `CLUSTER_STRATEGY=dns_cluster`: dns_cluster's `query:` from `DNS_CLUSTER_QUERY`
      (comma-separated: a list; with `DNS_BASENAME`: `{basename, query}`), `interval:
      DNS_POLL_MS`, `connect_timeout: DNS_CONNECT_TIMEOUT_MS`, `log: DNS_CLUSTER_LOG`,
      `resource_types: DNS_CLUSTER_RESOURCE_TYPES`
    * `CLUSTER_STRATEGY=once`: the seed's `connect_to_cluster/0` (`ClusterLab.Strategy.Once`)
    * `LIBCLUSTER_DEBUG=true`: `config :libcluster, debug: true`
  """
  alias ClusterLab.Env

  @doc "Put the legacy variables' configuration into the application environment."
  def configure do
    if Env.flag("LIBCLUSTER_DEBUG"), do: Application.put_env(:libcluster, :debug, true)

    case Env.get("CLUSTER_STRATEGY", "none") do
      "none" ->
        :ok

      "once" ->
        :ok

      "epmd" ->
        topology(
          Env.get("CLUSTER_TOPOLOGY", "epmd"),
          Cluster.Strategy.Epmd,
          [hosts: Env.nodes("CLUSTER_HOSTS")] ++
            present(timeout: Env.get("CLUSTER_TIMEOUT") && Env.timeout("CLUSTER_TIMEOUT"))
        )

      "dnspoll" ->
        topology(
          Env.get("CLUSTER_TOPOLOGY", "dns_poll"),
          Cluster.Strategy.DNSPoll,
          present(
            query: Env.get("DNS_QUERY"),
            node_basename: Env.get("DNS_BASENAME"),
            polling_interval: Env.get("DNS_POLL_MS") && Env.integer("DNS_POLL_MS", 5_000)
          )
        )

      "dns_cluster" ->
        dns_cluster()

      other ->
        raise ArgumentError,
              "unknown CLUSTER_STRATEGY=#{inspect(other)}; use none, once, epmd, dns_cluster or dnspoll"
    end
  end

  @doc "The seed's one-shot connect, when `CLUSTER_STRATEGY=once`."
  def once do
    if Env.get("CLUSTER_STRATEGY") == "once",
      do: [{ClusterLab.Strategy.Once, hosts: Env.nodes("CLUSTER_HOSTS"), trace: Env.flag("CLUSTER_TRACE")}],
      else: []
  end

  defp topology(name, strategy, config) do
    Application.put_env(:libcluster, :topologies, [
      {String.to_atom(name), [strategy: strategy, config: config]}
    ])
  end

  defp dns_cluster do
    queries =
      case {Env.list("DNS_CLUSTER_QUERY"), Env.get("DNS_BASENAME")} do
        {[], _} -> raise ArgumentError, "DNS_CLUSTER_QUERY must be set for CLUSTER_STRATEGY=dns_cluster"
        {queries, nil} -> queries
        {queries, basename} -> Enum.map(queries, &{basename, &1})
      end

    Application.put_env(:clusterlab, :dns_cluster_query, queries)

    # unset keeps upstream's default; `,` is an empty list, which upstream refuses
    types =
      if Env.get("DNS_CLUSTER_RESOURCE_TYPES"),
        do: [resource_types: Enum.map(Env.list("DNS_CLUSTER_RESOURCE_TYPES"), &String.to_atom/1)],
        else: []

    Application.put_env(
      :clusterlab,
      :dns_cluster,
      present(
        interval: Env.get("DNS_POLL_MS") && Env.integer("DNS_POLL_MS", 5_000),
        connect_timeout:
          Env.get("DNS_CONNECT_TIMEOUT_MS") && Env.integer("DNS_CONNECT_TIMEOUT_MS", 10_000),
        log: Env.log_level("DNS_CLUSTER_LOG")
      ) ++ types
    )
  end

  defp present(pairs), do: Enum.reject(pairs, fn {_k, v} -> is_nil(v) end)
end
