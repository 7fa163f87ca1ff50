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
/// <item><c>wscore.close.received</c>, <c>wscore.close.sent</c> {close}, counters [role, <c>websocket.close.code</c>].</item>
/// <item><c>wscore.protocol.violation</c> {violation}, counter [role, <c>websocket.violation</c>: a <see cref="ProtocolViolation"/> name]: what peers sent wrong.</item>
/// <item><c>wscore.backpressure</c> {event}, counter [role, <c>websocket.backpressure.action</c>: buffer_full, close_1013, close_1009].</item>
/// <item><c>wscore.ping.rtt</c> s, histogram [role]: from a measured ping (keep-alive pings are measured) to its pong.</item>
/// <item><c>wscore.timeout</c> {timeout}, counter [role, <c>websocket.timeout.kind</c>: peer_unresponsive, close_timed_out].</item>
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
    internal static readonly Counter<long> ClosesReceived = s_meter.CreateCounter<long>("wscore.close.received", "{close}", "Close frames received, by code.");
    internal static readonly Counter<long> ClosesSent = s_meter.CreateCounter<long>("wscore.close.sent", "{close}", "Close frames sent, by code.");
    internal static readonly Counter<long> Violations = s_meter.CreateCounter<long>("wscore.protocol.violation", "{violation}", "Protocol violations by peers, by kind.");
    internal static readonly Counter<long> Backpressure = s_meter.CreateCounter<long>("wscore.backpressure", "{event}", "Sends refused or connections closed because the outbound buffer was full.");
    internal static readonly Histogram<double> PingRoundTrip = s_meter.CreateHistogram<double>("wscore.ping.rtt", "s", "Round-trip time from a measured ping to its pong.");
    internal static readonly Counter<long> Timeouts = s_meter.CreateCounter<long>("wscore.timeout", "{timeout}", "Connections aborted by their own clock.");

    internal const string RoleKey = "websocket.role";
    internal const string MessageKindKey = "websocket.message.type";
    internal const string CloseCodeKey = "websocket.close.code";
    internal const string ViolationKey = "websocket.violation";
    internal const string BackpressureActionKey = "websocket.backpressure.action";
    internal const string TimeoutKindKey = "websocket.timeout.kind";

    private static readonly KeyValuePair<string, object?> s_server = new(RoleKey, "server");
    private static readonly KeyValuePair<string, object?> s_client = new(RoleKey, "client");
    private static readonly KeyValuePair<string, object?> s_text = new(MessageKindKey, "text");
    private static readonly KeyValuePair<string, object?> s_binary = new(MessageKindKey, "binary");
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

    internal static KeyValuePair<string, object?> Role(WebSocketRole role) => role == WebSocketRole.Server ? s_server : s_client;

    internal static KeyValuePair<string, object?> Type(MessageKind type) => type == MessageKind.Text ? s_text : s_binary;

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
        => action == KeepAliveAction.CloseTimedOut ? s_closeTimedOut : s_peerUnresponsive;

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
