using WsCore.Framing;
using System.Diagnostics.Metrics;
using WsCore.Closing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Diagnostics;

/// <summary>
/// WsCore's metrics, published with <see cref="System.Diagnostics.Metrics"/> on the meter named <see cref="MeterName"/>:
/// <c>dotnet-counters monitor --counters WsCore -p PID</c> shows them, and OpenTelemetry collects them with
/// <c>AddMeter("WsCore")</c>. Instrument names follow the OpenTelemetry semantic-convention style; every tag takes a
/// small, fixed set of values (close codes outside 1000-1015 are reported by range), so no peer can explode the
/// cardinality. Recording allocates nothing, with or without a listener.
/// </summary>
/// <remarks>
/// Instruments (tags in brackets; <c>websocket.role</c> is <c>server</c> or <c>client</c>):
/// <list type="bullet">
/// <item><c>wscore.connection.active</c> {connection}, up-down counter [role]: connections open now.</item>
/// <item><c>wscore.connection.opened</c> {connection}, counter [role].</item>
/// <item><c>wscore.connection.duration</c> s, histogram [role]: from creation to the transport's end.</item>
/// <item><c>wscore.message.received</c>, <c>wscore.message.sent</c> {message}, counters [role, <c>websocket.message.type</c>: text, binary].</item>
/// <item><c>wscore.payload.received</c>, <c>wscore.payload.sent</c> By, counters [role, message type]: message payload bytes (after inflate, before deflate).</item>
/// <item><c>wscore.frame.received</c>, <c>wscore.frame.sent</c> {frame}, counters [role, <c>websocket.frame.opcode</c>: continuation, text, binary, close, ping, pong]: every frame, control frames the engine sends on its own (auto-pong, close reply) included; a frame with a reserved opcode or reserved bits is a violation, not a frame.</item>
/// <item><c>wscore.close.received</c>, <c>wscore.close.sent</c> {close}, counters [role, <c>websocket.close.code</c>].</item>
/// <item><c>wscore.protocol.violation</c> {violation}, counter [role, <c>websocket.violation</c>: a <see cref="ProtocolViolation"/> name]: what peers sent wrong.</item>
/// <item><c>wscore.backpressure</c> {event}, counter [role, <c>websocket.backpressure.action</c>: buffer_full, close_1013, close_1009].</item>
/// <item><c>wscore.ping.rtt</c> s, histogram [role]: from a measured ping (keep-alive pings are measured) to its pong.</item>
/// <item><c>wscore.timeout</c> {timeout}, counter [role, <c>websocket.timeout.kind</c>: peer_unresponsive, close_timed_out, idle, max_lifetime]: connections closed (idle, max_lifetime: with 1001) or aborted by their own clock.</item>
/// <item><c>wscore.compression.compressed</c> By, counter [role, <c>websocket.direction</c>: sent, received]: payload bytes of permessage-deflate frames, as on the wire (unmasked).</item>
/// <item><c>wscore.compression.uncompressed</c> By, counter [role, direction]: the same messages' bytes uncompressed (before deflate, after inflate); uncompressed / compressed is the compression ratio.</item>
/// <item><c>wscore.handshake</c> {handshake}, counter [role, <c>websocket.handshake.result</c>: accepted, rejected, timed_out, failed; <c>http.response.status_code</c>: the status answered (server) or received (client), e.g. 101, 200, 400, 403, 426, 429, 503, other statuses by class (4xx, 5xx, ...), none when no answer].</item>
/// <item><c>wscore.handshake.duration</c> s, histogram [role, result]: from the start of the handshake to the answer sent (server) or read (client).</item>
/// <item><c>wscore.callback.failed</c> {exception}, counter [role, <c>websocket.callback</c>: ping_received, pong_received]: application callbacks that threw (caught; the connection goes on).</item>
/// </list>
/// </remarks>
public static class WsCoreMetrics
{
    /// <summary>The meter's name: <c>WsCore</c>.</summary>
    public const string MeterName = "WsCore";

    private static readonly Meter s_meter = new(MeterName, typeof(WsCoreMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly UpDownCounter<long> ActiveConnections = s_meter.CreateUpDownCounter<long>("wscore.connection.active", "{connection}", "WebSocket connections open now.");
    internal static readonly Counter<long> OpenedConnections = s_meter.CreateCounter<long>("wscore.connection.opened", "{connection}", "WebSocket connections opened.");
    internal static readonly Histogram<double> ConnectionDuration = s_meter.CreateHistogram<double>("wscore.connection.duration", "s", "How long WebSocket connections lasted.");
    internal static readonly Counter<long> MessagesReceived = s_meter.CreateCounter<long>("wscore.message.received", "{message}", "Whole messages received.");
    internal static readonly Counter<long> MessagesSent = s_meter.CreateCounter<long>("wscore.message.sent", "{message}", "Whole messages sent.");
    internal static readonly Counter<long> PayloadReceived = s_meter.CreateCounter<long>("wscore.payload.received", "By", "Message payload bytes received (after inflate).");
    internal static readonly Counter<long> PayloadSent = s_meter.CreateCounter<long>("wscore.payload.sent", "By", "Message payload bytes sent (before deflate).");
    internal static readonly Counter<long> FramesReceived = s_meter.CreateCounter<long>("wscore.frame.received", "{frame}", "Frames received, by opcode.");
    internal static readonly Counter<long> FramesSent = s_meter.CreateCounter<long>("wscore.frame.sent", "{frame}", "Frames sent, by opcode.");
    internal static readonly Counter<long> ClosesReceived = s_meter.CreateCounter<long>("wscore.close.received", "{close}", "Close frames received, by code.");
    internal static readonly Counter<long> ClosesSent = s_meter.CreateCounter<long>("wscore.close.sent", "{close}", "Close frames sent, by code.");
    internal static readonly Counter<long> Violations = s_meter.CreateCounter<long>("wscore.protocol.violation", "{violation}", "Protocol violations by peers, by kind.");
    internal static readonly Counter<long> Backpressure = s_meter.CreateCounter<long>("wscore.backpressure", "{event}", "Sends refused or connections closed because the outbound buffer was full.");
    internal static readonly Histogram<double> PingRoundTrip = s_meter.CreateHistogram<double>("wscore.ping.rtt", "s", "Round-trip time from a measured ping to its pong.");
    internal static readonly Counter<long> Timeouts = s_meter.CreateCounter<long>("wscore.timeout", "{timeout}", "Connections closed or aborted by their own clock, by kind.");

    internal static readonly Counter<long> CompressedBytes = s_meter.CreateCounter<long>("wscore.compression.compressed", "By", "Payload bytes of permessage-deflate frames, by direction.");
    internal static readonly Counter<long> UncompressedBytes = s_meter.CreateCounter<long>("wscore.compression.uncompressed", "By", "The uncompressed bytes of permessage-deflate messages (before deflate, after inflate), by direction.");
    internal static readonly Counter<long> Handshakes = s_meter.CreateCounter<long>("wscore.handshake", "{handshake}", "Opening handshakes, by result and HTTP status.");
    internal static readonly Histogram<double> HandshakeDuration = s_meter.CreateHistogram<double>("wscore.handshake.duration", "s", "How long opening handshakes took, by result.");
    internal static readonly Counter<long> CallbackFailures = s_meter.CreateCounter<long>("wscore.callback.failed", "{exception}", "Application callbacks that threw (caught and counted), by callback.");

    internal const string RoleKey = "websocket.role";
    internal const string MessageKindKey = "websocket.message.type";
    internal const string CloseCodeKey = "websocket.close.code";
    internal const string FrameOpcodeKey = "websocket.frame.opcode";
    internal const string ViolationKey = "websocket.violation";
    internal const string BackpressureActionKey = "websocket.backpressure.action";
    internal const string TimeoutKindKey = "websocket.timeout.kind";
    internal const string CallbackKey = "websocket.callback";
    internal const string DirectionKey = "websocket.direction";
    internal const string HandshakeResultKey = "websocket.handshake.result";
    internal const string StatusCodeKey = "http.response.status_code";

    internal static readonly KeyValuePair<string, object?> Sent = new(DirectionKey, "sent");
    internal static readonly KeyValuePair<string, object?> Received = new(DirectionKey, "received");

    private static readonly KeyValuePair<string, object?>[] s_handshakeResults =
    [
        new(HandshakeResultKey, "accepted"), new(HandshakeResultKey, "rejected"), new(HandshakeResultKey, "timed_out"), new(HandshakeResultKey, "failed"),
    ];
    private static readonly int[] s_knownStatuses = [101, 200, 400, 401, 403, 404, 405, 408, 414, 426, 429, 431, 500, 502, 503, 504, 505];
    private static readonly KeyValuePair<string, object?>[] s_statusTags = CreateStatusTags();
    private static readonly KeyValuePair<string, object?>[] s_statusClasses =
    [
        new(StatusCodeKey, "none"), new(StatusCodeKey, "1xx"), new(StatusCodeKey, "2xx"), new(StatusCodeKey, "3xx"), new(StatusCodeKey, "4xx"), new(StatusCodeKey, "5xx"),
    ];

    /// <summary>
    /// Records one opening handshake in <c>wscore.handshake</c> and <c>wscore.handshake.duration</c>. WsCore's own hosts
    /// (<see cref="PipeHandshake"/>, so <see cref="SocketWebSockets"/>, and WsCore.AspNetCore) call it; a host of your own
    /// that runs the handshake layer itself may too. Allocates nothing.
    /// </summary>
    /// <param name="role">The side that ran the handshake.</param>
    /// <param name="outcome">How it ended.</param>
    /// <param name="statusCode">The HTTP status answered (server) or received (client); 0 when there was none. Statuses
    /// outside a small known set are reported by class (<c>4xx</c>, ...), so the tag stays bounded.</param>
    /// <param name="duration">From the start of the handshake to its end.</param>
    public static void RecordHandshake(WebSocketRole role, HandshakeOutcome outcome, int statusCode, TimeSpan duration)
    {
        KeyValuePair<string, object?> roleTag = Role(role);
        KeyValuePair<string, object?> result = s_handshakeResults[(uint)outcome < (uint)s_handshakeResults.Length ? (int)outcome : (int)HandshakeOutcome.Failed];
        Handshakes.Add(1, roleTag, result, StatusCode(statusCode));
        if (HandshakeDuration.Enabled) HandshakeDuration.Record(duration.TotalSeconds, roleTag, result);
    }

    internal static KeyValuePair<string, object?> StatusCode(int status)
    {
        int i = Array.IndexOf(s_knownStatuses, status);
        if (i >= 0) return s_statusTags[i];
        return status is >= 100 and <= 599 ? s_statusClasses[status / 100] : s_statusClasses[0];
    }

    private static KeyValuePair<string, object?>[] CreateStatusTags()
    {
        var tags = new KeyValuePair<string, object?>[s_knownStatuses.Length];
        for (int i = 0; i < tags.Length; i++) tags[i] = new(StatusCodeKey, s_knownStatuses[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        return tags;
    }

    internal static readonly KeyValuePair<string, object?> PingCallbackTag = new(CallbackKey, "ping_received");
    internal static readonly KeyValuePair<string, object?> PongCallbackTag = new(CallbackKey, "pong_received");

    private static readonly KeyValuePair<string, object?> s_server = new(RoleKey, "server");
    private static readonly KeyValuePair<string, object?> s_client = new(RoleKey, "client");
    private static readonly KeyValuePair<string, object?> s_text = new(MessageKindKey, "text");
    private static readonly KeyValuePair<string, object?> s_binary = new(MessageKindKey, "binary");
    private static readonly KeyValuePair<string, object?>[] s_frameOpcodes =
    [
        new(FrameOpcodeKey, "continuation"), new(FrameOpcodeKey, "text"), new(FrameOpcodeKey, "binary"),
        new(FrameOpcodeKey, "close"), new(FrameOpcodeKey, "ping"), new(FrameOpcodeKey, "pong"),
    ];
    private static readonly KeyValuePair<string, object?>[] s_knownCodes = CreateKnownCodes();
    private static readonly KeyValuePair<string, object?> s_code3xxx = new(CloseCodeKey, "3000-3999");
    private static readonly KeyValuePair<string, object?> s_code4xxx = new(CloseCodeKey, "4000-4999");
    private static readonly KeyValuePair<string, object?> s_codeOther = new(CloseCodeKey, "other");
    private static readonly KeyValuePair<string, object?>[] s_violations = CreateViolations();
    private static readonly KeyValuePair<string, object?> s_bufferFull = new(BackpressureActionKey, "buffer_full");
    private static readonly KeyValuePair<string, object?> s_close1013 = new(BackpressureActionKey, "close_1013");
    private static readonly KeyValuePair<string, object?> s_close1009 = new(BackpressureActionKey, "close_1009");
    private static readonly KeyValuePair<string, object?> s_peerUnresponsive = new(TimeoutKindKey, "peer_unresponsive");
    private static readonly KeyValuePair<string, object?> s_closeTimedOut = new(TimeoutKindKey, "close_timed_out");
    private static readonly KeyValuePair<string, object?> s_idle = new(TimeoutKindKey, "idle");
    private static readonly KeyValuePair<string, object?> s_maxLifetime = new(TimeoutKindKey, "max_lifetime");

    internal static KeyValuePair<string, object?> Role(WebSocketRole role) => role == WebSocketRole.Server ? s_server : s_client;

    internal static KeyValuePair<string, object?> Type(MessageKind type) => type == MessageKind.Text ? s_text : s_binary;

    /// <summary>The opcode tag of a <see cref="FrameCounts"/> slot (0 to <see cref="FrameCounts.Length"/> - 1).</summary>
    internal static KeyValuePair<string, object?> FrameOpcode(int index) => s_frameOpcodes[index];

    internal static KeyValuePair<string, object?> CloseCode(ushort code) => code switch
    {
        >= 1000 and <= 1015 => s_knownCodes[code - 1000],
        >= 3000 and <= 3999 => s_code3xxx,
        >= 4000 and <= 4999 => s_code4xxx,
        _ => s_codeOther,
    };

    internal static KeyValuePair<string, object?> Violation(ProtocolViolation violation)
        => (uint)violation < (uint)s_violations.Length ? s_violations[(int)violation] : new(ViolationKey, violation.ToString());

    internal static KeyValuePair<string, object?> BackpressureAction(BackpressurePolicy policy) => policy switch
    {
        BackpressurePolicy.CloseWith1013 => s_close1013,
        BackpressurePolicy.CloseWith1009 => s_close1009,
        _ => s_bufferFull,
    };

    internal static KeyValuePair<string, object?> TimeoutKind(KeepAliveAction action)
        => action switch
        {
            KeepAliveAction.CloseTimedOut => s_closeTimedOut,
            KeepAliveAction.IdleTimeout => s_idle,
            KeepAliveAction.MaxLifetimeReached => s_maxLifetime,
            _ => s_peerUnresponsive,
        };

    private static KeyValuePair<string, object?>[] CreateKnownCodes()
    {
        var codes = new KeyValuePair<string, object?>[16];
        for (int i = 0; i < codes.Length; i++) codes[i] = new(CloseCodeKey, (1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return codes;
    }

    private static KeyValuePair<string, object?>[] CreateViolations()
    {
        ProtocolViolation[] values = Enum.GetValues<ProtocolViolation>();
        int max = 0;
        foreach (ProtocolViolation v in values) max = Math.Max(max, (int)v);
        var tags = new KeyValuePair<string, object?>[max + 1];
        for (int i = 0; i < tags.Length; i++) tags[i] = new(ViolationKey, ((ProtocolViolation)i).ToString());
        return tags;
    }
}
