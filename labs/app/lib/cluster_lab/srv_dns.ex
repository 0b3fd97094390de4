defmodule ClusterLab.SrvDns do
  @moduledoc """
  A tiny DNS server that answers SRV queries: a LAB-ONLY role, not a stand-in.

  Docker's embedded DNS (127.0.0.11) answers A and AAAA records for services and
  aliases, but no SRV record of a Compose service. A lab that shows dns_cluster's SRV
  mode runs this on a fixed address and gives the nodes `dns: [that address]`: the
  embedded DNS forwards every name it cannot answer to the container's DNS servers.

  `SRV_DNS_RECORDS` lists the names it serves, `;` between names and `,` between the
  targets of one name:

      _app._tcp.cluster.test=n1.lab:4369,n2.lab:4369;_web._tcp.cluster.test=w1.lab:80

  Every target is answered with priority 10, weight 10, the given port and a TTL of
  5 s. For a configured name, an SRV (or ANY) query gets every target and any
  other type an empty answer (NOERROR); any other name gets NXDOMAIN. UDP on port 53
  only (an answer past 512 bytes is sent truncated, TC set, without records): binding
  it as the image's non-root user takes `net.ipv4.ip_unprivileged_port_start` 0, which
  Docker 20.10+ already sets in a container's own network namespace; a compose file says
  so with `sysctls: {net.ipv4.ip_unprivileged_port_start: 0}`. Each query is logged at info:
  `[srv_dns] 10.0.0.2 asked SRV _app._tcp.cluster.test: 2 answers`.

  The wire format is built by hand (RFC 1035 section 4, RFC 2782): the header, the
  question echoed, then each answer naming the question by a compression pointer to
  offset 12, with RDATA priority, weight, port and the target name.
  """
  use GenServer
  require Logger

  @ttl 5
  @priority 10
  @weight 10
  @srv 33
  @any 255
  @max_udp 512

  def start_link(opts), do: GenServer.start_link(__MODULE__, Map.new(opts), name: __MODULE__)

  @doc """
  Parses `SRV_DNS_RECORDS` into `%{"name" => [{"target", port}, ...]}`, names
  lowercased and without a trailing dot. Raises `ArgumentError` on a malformed value.
  """
  def parse!(text) do
    text
    |> String.split(";", trim: true)
    |> Enum.map(&String.trim/1)
    |> Enum.reject(&(&1 == ""))
    |> Map.new(fn entry ->
      case String.split(entry, "=", parts: 2) do
        [name, targets] -> {name!(name), targets!(targets, entry)}
        _ -> bad!(entry, "expected name=target:port,…")
      end
    end)
    |> tap(&if(&1 == %{}, do: bad!(text, "no record")))
  end

  defp targets!(text, entry) do
    text
    |> String.split(",", trim: true)
    |> Enum.map(&String.trim/1)
    |> Enum.reject(&(&1 == ""))
    |> Enum.map(fn target ->
      with [host, digits] <- String.split(target, ":"),
           {port, ""} when port in 0..65_535 <- Integer.parse(digits) do
        {name!(host), port}
      else
        _ -> bad!(entry, "expected target:port, got #{inspect(target)}")
      end
    end)
    |> tap(&if(&1 == [], do: bad!(entry, "no target")))
  end

  defp name!(text) do
    name = text |> String.trim() |> String.trim_trailing(".") |> String.downcase()
    labels = String.split(name, ".")

    if name == "" or byte_size(name) > 253 or Enum.any?(labels, &(byte_size(&1) not in 1..63)),
      do: bad!(text, "not a domain name"),
      else: name
  end

  defp bad!(text, why), do: raise(ArgumentError, "SRV_DNS_RECORDS: #{inspect(text)}: #{why}")

  @doc "The reply to one DNS query packet, or `nil` for a packet that is not a query."
  def reply(packet, records) do
    case packet do
      <<_id::16, 1::1, _::bitstring>> ->
        nil

      <<id::16, 0::1, 0::4, _::2, rd::1, _::8, 1::16, _::48, rest::binary>> ->
        answer(id, rd, rest, records)

      <<id::16, 0::1, 0::4, _::2, rd::1, _::8, _::binary>> ->
        header(id, rd, 1, 0, 0)

      <<id::16, 0::1, _::4, _::2, rd::1, _::8, _::binary>> ->
        header(id, rd, 4, 0, 0)

      _ ->
        nil
    end
  end

  defp answer(id, rd, rest, records) do
    with {:ok, labels, size, tail} <- read_name(rest, [], 0),
         <<qtype::16, _qclass::16, _::binary>> <- tail do
      question = binary_part(rest, 0, size + 4)
      name = labels |> Enum.reverse() |> Enum.join(".") |> String.downcase()
      {rcode, answers} = lookup(records, name, qtype)
      full = [header(id, rd, rcode, 1, length(answers)), question | answers]

      if IO.iodata_length(full) <= @max_udp,
        do: {name, qtype, length(answers), IO.iodata_to_binary(full)},
        else: {name, qtype, 0, header(id, rd, rcode, 1, 0, 1) <> question}
    else
      _ -> header(id, rd, 1, 0, 0)
    end
  end

  defp lookup(records, name, qtype) do
    case Map.fetch(records, name) do
      {:ok, targets} when qtype in [@srv, @any] -> {0, Enum.map(targets, &srv_record/1)}
      {:ok, _targets} -> {0, []}
      :error -> {3, []}
    end
  end

  # A name of the question: length-prefixed labels up to the root's zero byte. A query
  # has no reason to compress its only name, so a pointer (0b11…) is a format error.
  defp read_name(<<0, tail::binary>>, labels, size), do: {:ok, labels, size + 1, tail}

  defp read_name(<<len, label::binary-size(len), rest::binary>>, labels, size) when len in 1..63,
    do: read_name(rest, [label | labels], size + 1 + len)

  defp read_name(_packet, _labels, _size), do: :error

  # QR=1, opcode QUERY, AA=1, TC as given, RD copied, RA=0 (it recurses for nobody).
  defp header(id, rd, rcode, questions, answers, tc \\ 0),
    do:
      <<id::16, 1::1, 0::4, 1::1, tc::1, rd::1, 0::1, 0::3, rcode::4, questions::16, answers::16,
        0::16, 0::16>>

  # The owner is a pointer to the question's name, which always starts at offset 12.
  defp srv_record({target, port}) do
    rdata = <<@priority::16, @weight::16, port::16, encode_name(target)::binary>>
    <<0b11::2, 12::14, @srv::16, 1::16, @ttl::32, byte_size(rdata)::16, rdata::binary>>
  end

  defp encode_name(name) do
    for(label <- String.split(name, "."), into: <<>>, do: <<byte_size(label), label::binary>>) <>
      <<0>>
  end

  @impl true
  def init(%{records: records} = state) do
    port = Map.get(state, :port, 53)

    case :gen_udp.open(port, [:binary, active: true, reuseaddr: true]) do
      {:ok, socket} ->
        for {name, targets} <- records do
          Logger.info(
            "[srv_dns] answering SRV #{name}: #{Enum.map_join(targets, ", ", &target/1)}"
          )
        end

        {:ok, Map.put(state, :socket, socket)}

      {:error, reason} ->
        {:stop,
         "SRV_DNS_RECORDS: cannot bind UDP port #{port} (#{inspect(reason)}); a non-root " <>
           "container needs sysctls: {net.ipv4.ip_unprivileged_port_start: 0}"}
    end
  end

  @impl true
  def handle_info({:udp, socket, ip, port, packet}, %{records: records} = state) do
    case reply(packet, records) do
      {name, qtype, count, binary} ->
        _ = :gen_udp.send(socket, ip, port, binary)
        Logger.info("[srv_dns] #{:inet.ntoa(ip)} asked #{type(qtype)} #{name}: #{count} answers")

      binary when is_binary(binary) ->
        _ = :gen_udp.send(socket, ip, port, binary)

      nil ->
        :ok
    end

    {:noreply, state}
  end

  def handle_info(_other, state), do: {:noreply, state}

  defp target({host, port}), do: "#{host}:#{port}"

  defp type(1), do: "A"
  defp type(28), do: "AAAA"
  defp type(@srv), do: "SRV"
  defp type(@any), do: "ANY"
  defp type(other), do: "TYPE#{other}"
end
