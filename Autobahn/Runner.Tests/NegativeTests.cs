using System.Net;
using System.Net.Sockets;
using ConformanceRunner.Cases;
using ConformanceRunner.Wire;
using ConformanceRunner.Modes;

namespace ConformanceRunner.Tests;

/// <summary>
/// The grader must catch broken servers. A naive raw echo server (echoes every data frame as it came, answers close,
/// validates nothing) passes plain echo cases but fails the validation cases; a server that drops every connection
/// fails the echo cases.
/// </summary>
public class NegativeTests
{
    private static async Task<(TcpListener Listener, Task Loop, CancellationTokenSource Stop)> StartAsync(Func<Socket, Task> serve)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Socket s;
                try { s = await listener.AcceptSocketAsync(stop.Token); } catch (OperationCanceledException) { return; }
                _ = Task.Run(async () =>
                {
                    using var socket = s;
                    try
                    {
                        await Handshake.AcceptAsync(socket, "naive");
                        await serve(socket);
                    }
                    catch (IOException) { }
                    catch (SocketException) { }
                });
            }
        });
        await Task.Yield();
        return (listener, loop, stop);
    }

    /// <summary>Echoes each frame (unmasked) without any check; answers a close frame and closes.</summary>
    private static async Task NaiveEcho(Socket socket)
    {
        var buffer = new byte[1 << 20];
        int filled = 0;
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
            if (n == 0) return;
            filled += n;
            while (FrameCodec.TryReadHeader(buffer.AsSpan(0, filled), out var h) && filled >= h.HeaderLength + h.PayloadLength)
            {
                var payload = buffer.AsSpan(h.HeaderLength, (int)h.PayloadLength).ToArray();
                var key = new byte[] { (byte)(h.MaskKey >> 24), (byte)(h.MaskKey >> 16), (byte)(h.MaskKey >> 8), (byte)h.MaskKey };
                if (h.Masked) FrameCodec.ApplyMask(payload, key, 0);
                int used = h.HeaderLength + (int)h.PayloadLength;
                buffer.AsSpan(used, filled - used).CopyTo(buffer);
                filled -= used;
                int opcode = h.Opcode == Opcode.Ping ? Opcode.Pong : h.Opcode;
                await socket.SendAsync(FrameCodec.Encode(opcode, payload, h.Fin, h.Rsv, false, null, null, out _), SocketFlags.None);
                if (h.Opcode == Opcode.Close)
                {
                    socket.Shutdown(SocketShutdown.Both);
                    return;
                }
            }
        }
    }

    private static async Task<(string Behavior, string Close)> Run(int port, string id)
    {
        var r = await FuzzingClient.RunCaseAsync(new ServerTarget("naive", new Uri($"ws://127.0.0.1:{port}/")), Catalogue.Find(id)!);
        return (r.Behavior, r.BehaviorClose);
    }

    [Fact]
    public async Task A_server_that_validates_nothing_passes_echo_cases_and_fails_validation_cases()
    {
        var (listener, loop, stop) = await StartAsync(NaiveEcho);
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.Equal((Verdict.Ok, Verdict.Ok), await Run(port, "1.1.3"));
        Assert.Equal((Verdict.Ok, Verdict.Ok), await Run(port, "2.2"));
        // invalid UTF-8 echoed back: the tester itself fails the connection, so the wrong endpoint closed
        Assert.Equal((Verdict.Failed, Verdict.Failed), await Run(port, "6.3.1"));
        // RSV echoed back: the tester fails it (1002) instead of the server
        var rsv = await Run(port, "3.1");
        Assert.Equal(Verdict.Failed, rsv.Close);
        // reserved opcode echoed back instead of failing
        Assert.Equal(Verdict.Failed, (await Run(port, "4.1.1")).Close);
        stop.Cancel();
        listener.Stop();
        await loop;
    }

    [Fact]
    public async Task A_server_that_drops_every_connection_fails_echo_cases()
    {
        var (listener, loop, stop) = await StartAsync(s => { s.Shutdown(SocketShutdown.Both); return Task.CompletedTask; });
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.Equal((Verdict.Failed, Verdict.Failed), await Run(port, "1.1.1"));
        // a close started by the tester and never answered: the events match (none expected) but the close is unclean
        Assert.Equal((Verdict.Ok, Verdict.Unclean), await Run(port, "7.7.1"));
        stop.Cancel();
        listener.Stop();
        await loop;
    }

    [Fact]
    public async Task Nothing_listening_fails_the_handshake()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        Assert.Equal((Verdict.Failed, Verdict.Failed), await Run(port, "1.1.1"));
    }
}
