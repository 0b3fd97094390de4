defmodule ClusterLab.Application do
  @moduledoc """
  Boots a lab node and makes it observable from outside the container.

  Distribution is already up when this runs (the release starts it), so the
  node first publishes `node()` and the cookie under `/tmp/clusterlab`, where
  the lessons read them for `erl_call`. It then starts the children chosen by
  the release's configuration, as a real project's application does:

    * clustering from config/runtime.exs (a lesson's own file is mounted over the
      release's): `config :libcluster, topologies: …` (libcluster's `Cluster.Supervisor`,
      `Cluster.Strategy.Epmd`, `Cluster.Strategy.DNSPoll`) and dns_cluster's query
      (`DNS_CLUSTER_QUERY`, as `mix phx.new` generates); each behaves like its upstream,
      see docs/fidelity.md. `ClusterLab.Legacy` still maps the lab's former
      `CLUSTER_STRATEGY` variables onto the same configuration.
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

  alias ClusterLab.{Env, HttpCheck, HttpStub}

  @impl true
  def start(_type, _args) do
    File.mkdir_p!(ClusterLab.state_dir())
    File.rm(ClusterLab.state_path("ready"))
    publish_identity()

    ClusterLab.Legacy.configure()
    Logger.info("[clusterlab] node #{node()} starting")

    children =
      monitor() ++ clustering() ++ http_children() ++ srv_dns() ++ ClusterLab.Leave.children()

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

  # What a project's application.ex starts: libcluster's supervisor with the topologies of
  # `config :libcluster, topologies: …`, and dns_cluster as `mix phx.new` wires it (its
  # query from `config :clusterlab, :dns_cluster_query`, `:ignore` when unset). The
  # other dns_cluster options (`interval:`, `log:`, …) come from `config :clusterlab,
  # :dns_cluster`. Both read config/runtime.exs, evaluated at boot.
  defp clustering do
    topologies = Application.get_env(:libcluster, :topologies, [])
    query = Application.get_env(:clusterlab, :dns_cluster_query) || :ignore

    [
      {Cluster.Supervisor, [topologies, [name: ClusterLab.ClusterSupervisor]]},
      {DNSCluster, [query: query] ++ Application.get_env(:clusterlab, :dns_cluster, [])}
    ] ++ connect_to_cluster() ++ ClusterLab.Legacy.once()
  end

  # The seed's own code, `connect_to_cluster/0`: one `Node.connect/1` to each node of a
  # fixed list at start-up, never again. Its list is `config :clusterlab,
  # :connect_to_cluster, [:"n1@n1.lab", …]` (the seed wrote it in the function itself).
  defp connect_to_cluster do
    case Application.get_env(:clusterlab, :connect_to_cluster) do
      nil -> []
      hosts -> [{ClusterLab.Strategy.Once, hosts: hosts, trace: Env.flag("CLUSTER_TRACE")}]
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
