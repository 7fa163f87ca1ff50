using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using WsCore.Diagnostics;

namespace WsCore.AspNetCore.Tests;

/// <summary>
/// WsCore.AspNetCore counts its handshakes in <c>wscore.handshake</c> (by result and status) and
/// <c>wscore.handshake.duration</c>. Other test classes run at the same time and handshake too, so the counts are lower bounds.
/// </summary>
public class HandshakeMetricsTests(TestApp app) : IClassFixture<TestApp>
{
    [Fact]
    public async Task Accepted_and_rejected_handshakes_are_counted_by_status_over_both_HTTP_versions()
    {
        var sums = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WsCoreMetrics.MeterName && instrument.Name.StartsWith("wscore.handshake", StringComparison.Ordinal)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, value, tags, _) =>
        {
            string key = i.Name;
            foreach (KeyValuePair<string, object?> tag in tags) key += "|" + tag.Value;
            sums.AddOrUpdate(key, value, (_, old) => old + value);
        });
        listener.SetMeasurementEventCallback<double>((i, _, _, _) => sums.AddOrUpdate(i.Name + "#count", 1, (_, old) => old + 1));
        listener.Start();

        foreach (bool http2 in new[] { false, true })
        {
            using ClientWebSocket client = await app.Server.ConnectAsync("/echo", http2);
            await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        }
        RawResponse refused = await app.Server.SendRawAsync("GET /echo HTTP/1.1\nHost: localhost\nUpgrade: websocket\nConnection: Upgrade\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 12\n");
        Assert.Equal(426, refused.Status);

        Assert.True(sums.GetValueOrDefault("wscore.handshake|server|accepted|101") >= 1);
        Assert.True(sums.GetValueOrDefault("wscore.handshake|server|accepted|200") >= 1); // HTTP/2 extended CONNECT
        Assert.True(sums.GetValueOrDefault("wscore.handshake|server|rejected|426") >= 1);
        Assert.True(sums.GetValueOrDefault("wscore.handshake.duration#count") >= 3);
    }
}
