using WsCore.Framing;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using WsCore.Diagnostics;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Benchmarks;

/// <summary>
/// What WsCore's metrics cost per message: one 128-byte binary message sent by a client connection and received by a
/// server connection over in-memory pipes, with no listener on the <c>WsCore</c> meter (the baseline) and with a
/// <see cref="MeterListener"/> that enables every instrument and adds each measurement up (what dotnet-counters or an
/// OpenTelemetry exporter does, minus its export).
/// </summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private byte[] _message = [];
    private byte[] _destination = [];
    private WebSocketConnection _server = null!;
    private WebSocketConnection _client = null!;
    private MeterListener? _listener;
    private long _sum;

    [Params(false, true)]
    public bool Listener { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _message = new byte[128];
        _destination = new byte[4096];
        (DuplexPipe a, DuplexPipe b) = DuplexPipe.CreatePair(InMemoryPipes.Options);
        _server = new WebSocketConnection(a, WebSocketRole.Server);
        _client = new WebSocketConnection(b, WebSocketRole.Client);
        if (Listener)
        {
            _listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == WsCoreMetrics.MeterName) l.EnableMeasurementEvents(instrument);
                },
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => _sum += value);
            _listener.SetMeasurementEventCallback<double>((_, _, _, _) => { });
            _listener.Start();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener?.Dispose();
        InMemoryPipes.Wait(_server.DisposeAsync());
        InMemoryPipes.Wait(_client.DisposeAsync());
    }

    [Benchmark]
    public int SendAndReceive()
    {
        InMemoryPipes.Wait(_client.SendAsync(_message, MessageKind.Binary));
        ConnectionReceiveResult r = InMemoryPipes.Wait(_server.ReceiveAsync(_destination));
        return r.Count;
    }
}
