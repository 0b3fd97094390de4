defmodule ClusterLab.Strategy.DNSPoll do
  @moduledoc """
  Mirrors dns_cluster (Phoenix) and libcluster's `DNSPoll` (no hex deps here).

  Every `DNS_POLL_MS` (default 5000, first poll at once) it resolves
  `DNS_QUERY` to A records and dials `DNS_BASENAME@<ip>` for each address,
  in parallel with a 10 s limit, as dns_cluster does. DNS answers with IPs,
  so this only works when nodes are *named* by IP (`NODE_NAME_BY_IP`). A
  peer named `app@svc.lab` makes `Node.connect/1` return false, and, like
  dns_cluster, that is not logged: the silent empty cluster of lesson 4.
  (Such a node also dials its own IP, and the kernel itself then logs a
  cryptic `Cannot get connection id for node` error about it.) Unlike
  libcluster's `DNSPoll` it never prunes nodes that drop out of DNS.

      # the same with dns_cluster:
      {DNSCluster, query: "app", interval: 5_000}
  """
  use GenServer
  require Logger

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(opts) do
    warn_unless_longnames()
    {:ok, Map.new(opts), {:continue, :poll}}
  end

  @impl true
  def handle_continue(:poll, state), do: {:noreply, poll(state)}

  @impl true
  def handle_info(:poll, state), do: {:noreply, poll(state)}

  defp poll(%{query: query, basename: basename, interval: interval} = state) do
    known = [node() | Node.list(:connected)]

    peers =
      for ip <- :inet_res.lookup(to_charlist(query), :in, :a),
          peer = :"#{basename}@#{:inet.ntoa(ip)}",
          peer not in known,
          do: peer

    peers
    |> Task.async_stream(&{&1, Node.connect(&1)},
      max_concurrency: max(length(peers), 1),
      timeout: 10_000,
      on_timeout: :kill_task
    )
    # dns_cluster's silence: only a success is logged, false is not.
    |> Enum.each(fn
      {:ok, {peer, true}} -> Logger.info("[dns] connected to #{inspect(peer)}")
      _false_or_timeout -> :ok
    end)

    Process.send_after(self(), :poll, interval)
    state
  end

  # dns_cluster's one-time start-up warning: DNS discovery needs long names.
  defp warn_unless_longnames do
    unless :net_kernel.longnames() == true do
      Logger.warning("[dns] DNS discovery needs long names: set RELEASE_DISTRIBUTION=name")
    end
  end
end
