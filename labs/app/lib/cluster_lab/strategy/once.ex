defmodule ClusterLab.Strategy.Once do
  @moduledoc """
  The seed's `connect_to_cluster`: at start-up, `Node.connect/1` to every node
  in `CLUSTER_HOSTS` except itself, once, and log each result.

  Nothing retries. A peer that is not up yet at that moment (a slower or
  delayed service) stays disconnected for good, on both sides: the broken
  start-up order of lesson 2. It runs as a one-shot task so a failed attempt
  is never repeated by a supervisor restart either.
  """
  use Task, restart: :temporary
  require Logger

  def start_link(opts), do: Task.start_link(__MODULE__, :run, [Keyword.fetch!(opts, :hosts)])

  @doc false
  def run(hosts) do
    for host <- hosts, host != node() do
      case Node.connect(host) do
        true -> Logger.info("[once] Node.connect(#{inspect(host)}) -> true")
        other -> Logger.warning("[once] Node.connect(#{inspect(host)}) -> #{other}, not retried")
      end
    end
  end
end
