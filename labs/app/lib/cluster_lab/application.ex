defmodule ClusterLab.Application do
  @moduledoc """
  Boots a lab node and makes it observable from outside the container.

  Distribution is already up when this runs (the release starts it), so the
  node first publishes `node()` and the cookie under `/tmp/clusterlab`, where
  the lessons read them for `erl_call`. It then starts the children chosen by
  the environment:

    * `CLUSTER_STRATEGY` - `none` (default), `once` (the seed's connect_to_cluster),
      `epmd` (libcluster Epmd), `dns_cluster` (Phoenix's dns_cluster) or `dnspoll`
      (libcluster DNSPoll); each behaves like its upstream, see docs/fidelity.md
    * `HTTP_PORT` - serve a 200 "ok" stub (the minio/jaeger stand-in)
    * `HTTP_CHECK_URLS` - poll those URLs like an S3/OTLP client would
    * `SHUTDOWN_DRAIN_MS`, `LEAVE_ON_SIGTERM` - a slow shutdown, and leaving the
      cluster on SIGTERM before it (`ClusterLab.Leave`, lesson 9)
    * `SRV_DNS_RECORDS` - answer SRV queries on UDP port 53 (`ClusterLab.SrvDns`, a
      lab-only role: Docker's DNS serves no SRV records)

  Last, it touches `/tmp/clusterlab/ready` (the image's HEALTHCHECK tests it)
  and prints `[clusterlab] ready <node>`, the line the lab waits for.
  """
  use Application
  require Logger

  alias ClusterLab.{Env, HttpCheck, HttpStub, Strategy}

  @impl true
  def start(_type, _args) do
    File.mkdir_p!(ClusterLab.state_dir())
    File.rm(ClusterLab.state_path("ready"))
    publish_identity()

    strategy = Env.get("CLUSTER_STRATEGY", "none")
    Logger.info("[clusterlab] node #{node()} starting, CLUSTER_STRATEGY=#{strategy}")

    children =
      monitor() ++
        strategy(strategy) ++ http_children() ++ srv_dns() ++ ClusterLab.Leave.children()

    with {:ok, pid} <-
           Supervisor.start_link(children, strategy: :one_for_one, name: ClusterLab.Supervisor) do
      :ok = ClusterLab.Leave.install()
      File.touch!(ClusterLab.state_path("ready"))
      # Printed, not logged: the lab waits for this exact line on the log stream,
      # which costs nothing while idle (a fast healthcheck execs every 300 ms forever).
      IO.puts("[clusterlab] ready #{node()}")
      {:ok, pid}
    end
  end

  defp publish_identity do
    File.write!(ClusterLab.state_path("node"), Atom.to_string(node()))

    if Node.alive?() do
      cookie = ClusterLab.state_path("cookie")
      File.touch!(cookie)
      File.chmod!(cookie, 0o600)
      File.write!(cookie, Atom.to_string(Node.get_cookie()))
    end
  end

  defp monitor, do: if(Node.alive?(), do: [ClusterLab.NodeMonitor], else: [])

  defp strategy("none"), do: []

  defp strategy("once") do
    [{Strategy.Once, hosts: Env.nodes("CLUSTER_HOSTS"), trace: Env.flag("CLUSTER_TRACE")}]
  end

  defp strategy("epmd") do
    [
      {Strategy.Epmd,
       topology: Env.get("CLUSTER_TOPOLOGY", "epmd"),
       hosts: Env.nodes("CLUSTER_HOSTS"),
       timeout: Env.timeout("CLUSTER_TIMEOUT")}
    ]
  end

  defp strategy("dns_cluster") do
    queries = Env.list("DNS_CLUSTER_QUERY")

    if queries == [],
      do: raise(ArgumentError, "DNS_CLUSTER_QUERY must be set for CLUSTER_STRATEGY=dns_cluster")

    [
      {Strategy.DNSCluster,
       [
         queries: queries,
         interval: Env.integer("DNS_POLL_MS", 5_000),
         connect_timeout: Env.integer("DNS_CONNECT_TIMEOUT_MS", 10_000),
         log: Env.log_level("DNS_CLUSTER_LOG")
       ] ++
         if(basename = Env.get("DNS_BASENAME"), do: [basename: basename], else: []) ++
         resource_types()}
    ]
  end

  defp strategy("dnspoll") do
    [
      {Strategy.DNSPoll,
       topology: Env.get("CLUSTER_TOPOLOGY", "dns_poll"),
       query: Env.get("DNS_QUERY"),
       basename: Env.get("DNS_BASENAME"),
       interval: Env.integer("DNS_POLL_MS", 5_000)}
    ]
  end

  defp strategy("dns") do
    raise ArgumentError,
          "CLUSTER_STRATEGY=dns is gone: use dns_cluster (Phoenix's DNSCluster, DNS_CLUSTER_QUERY) " <>
            "or dnspoll (libcluster's DNSPoll, DNS_QUERY and DNS_BASENAME)"
  end

  defp strategy(other) do
    raise ArgumentError,
          "unknown CLUSTER_STRATEGY=#{inspect(other)}; use none, once, epmd, dns_cluster or dnspoll"
  end

  # dns_cluster 0.3.0's `resource_types`, as atoms; unset keeps upstream's default and
  # the strategy validates the list as upstream does (`a,mx` raises at start).
  defp resource_types do
    case Env.get("DNS_CLUSTER_RESOURCE_TYPES") do
      nil -> []
      _ -> [resource_types: Env.list("DNS_CLUSTER_RESOURCE_TYPES") |> Enum.map(&String.to_atom/1)]
    end
  end

  defp srv_dns do
    case Env.get("SRV_DNS_RECORDS") do
      nil -> []
      records -> [{ClusterLab.SrvDns, records: ClusterLab.SrvDns.parse!(records)}]
    end
  end

  defp http_children do
    stub =
      case Env.get("HTTP_PORT") do
        nil -> []
        _ -> [{HttpStub, Env.integer("HTTP_PORT", 0)}]
      end

    check =
      case Env.list("HTTP_CHECK_URLS") do
        [] -> []
        urls -> [{HttpCheck, urls: urls, interval: Env.integer("HTTP_CHECK_MS", 2_000)}]
      end

    stub ++ check
  end
end
