defmodule Cluster.Strategy do
  @moduledoc """
  What libcluster 3.5's strategies share (lib/strategy/strategy.ex), re-implemented
  from its behaviour (hex is unreachable here; see docs/fidelity.md).

    * `connect_nodes/4` skips itself and every node the `list_nodes` MFA returns
      (`:erlang.nodes(:connected)` by default), dials the rest one after another with
      the `connect` MFA (`:net_kernel.connect_node/1`), logs `connected to` at info,
      `unable to connect to` at warning (`…: not part of network` for `:ignored`), and
      returns `:ok` or `{:error, [{node, false | :ignored}]}`.
    * `disconnect_nodes/4` touches only connected nodes and logs `disconnected from`.
  """
  alias Cluster.Logger, as: Log

  @callback start_link([Cluster.Strategy.State.t()]) :: GenServer.on_start()

  defmacro __using__(_) do
    quote do
      @behaviour Cluster.Strategy
      def child_spec([state]), do: %{id: state.topology, start: {__MODULE__, :start_link, [[state]]}}
      defoverridable child_spec: 1
    end
  end

  @spec connect_nodes(atom, mfa_like, mfa_like, [node]) :: :ok | {:error, [{node, term}]}
        when mfa_like: {module, atom, [term]}
  def connect_nodes(topology, {mod, fun, args}, list_nodes, nodes) when is_list(nodes) do
    skip = [node() | call(list_nodes)]

    failed =
      for peer <- nodes, peer not in skip, reduce: [] do
        acc ->
          case apply(mod, fun, args ++ [peer]) do
            true ->
              Log.info(topology, "connected to #{inspect(peer)}")
              acc

            false ->
              Log.warn(topology, "unable to connect to #{inspect(peer)}")
              [{peer, false} | acc]

            :ignored ->
              Log.warn(topology, "unable to connect to #{inspect(peer)}: not part of network")
              [{peer, :ignored} | acc]
          end
      end

    if failed == [], do: :ok, else: {:error, failed}
  end

  @spec disconnect_nodes(atom, mfa_like, mfa_like, [node]) :: :ok | {:error, [{node, term}]}
        when mfa_like: {module, atom, [term]}
  def disconnect_nodes(topology, {mod, fun, args}, list_nodes, nodes) when is_list(nodes) do
    connected = call(list_nodes)

    failed =
      for peer <- nodes, peer != node(), peer in connected, reduce: [] do
        acc ->
          case apply(mod, fun, args ++ [peer]) do
            true ->
              Log.info(topology, "disconnected from #{inspect(peer)}")
              acc

            false ->
              Log.warn(
                topology,
                "disconnect from #{inspect(peer)} failed because we're already disconnected"
              )

              acc

            :ignored ->
              Log.warn(
                topology,
                "disconnect from #{inspect(peer)} failed because it is not part of the network"
              )

              acc

            reason ->
              Log.warn(topology, "disconnect from #{inspect(peer)} failed with: #{inspect(reason)}")
              [{peer, reason} | acc]
          end
      end

    if failed == [], do: :ok, else: {:error, failed}
  end

  defp call({mod, fun, args}), do: apply(mod, fun, args)
end
