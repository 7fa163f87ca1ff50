using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace WsCore.EchoLoad;

/// <summary>
/// Closed-loop echo load: N WebSocket connections to one echo server, each keeping exactly one binary message in flight
/// (send, wait for the whole echo, send the next). Counts complete echoes over a fixed window after a warm-up and prints
/// one result line. Neutral: plain sockets, its own upgrade request, its own frames and masking (a fresh key per frame).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        string Option(string name, string fallback)
        {
            int i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine("usage: --port 9001 [--host 127.0.0.1] [--connections 100] [--size 512] [--warmup 2] [--duration 10] [--label NAME] [--markers [--server-pid PID] [--perf-control CTL,ACK]]  (--markers: \"window start\" and \"window end N [server_ticks=T]\" on standard error; --server-pid: the server's CPU ticks over the window; --perf-control: perf stat's control fifos, enabled over the window)");
            Console.WriteLine("       --idle --port 9001 [--host 127.0.0.1] [--connections 1000] [--message-size 20] [--concurrency 100] [--sources 127.0.0.2,127.0.0.3]  (hold idle connections until \"close\" on standard input)");
            return 2;
        }
        if (args.Contains("--idle")) return await IdleLoad.RunAsync(args);
        var inv = CultureInfo.InvariantCulture;
        string host = Option("host", "127.0.0.1");
        int port = int.Parse(Option("port", "9001"), inv);
        int connections = int.Parse(Option("connections", "100"), inv);
        int size = int.Parse(Option("size", "512"), inv);
        double warmup = double.Parse(Option("warmup", "2"), inv);
        double duration = double.Parse(Option("duration", "10"), inv);
        string label = Option("label", "server");

        var endpoint = new IPEndPoint(IPAddress.Parse(host), port);
        using var stop = new CancellationTokenSource();
        var clients = new EchoClient[connections];
        // Connect (and upgrade) in batches so a large N does not overflow the server's accept backlog.
        using (var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            for (int start = 0; start < connections; start += 50)
            {
                int end = Math.Min(connections, start + 50);
                var pending = new Task[end - start];
                for (int i = start; i < end; i++)
                {
                    clients[i] = new EchoClient(size, i);
                    pending[i - start] = clients[i].ConnectAsync(endpoint, connectTimeout.Token);
                }
                await Task.WhenAll(pending);
            }
        }

        var loops = new Task[connections];
        for (int i = 0; i < connections; i++)
        {
            EchoClient client = clients[i];
            loops[i] = Task.Run(() => client.RunAsync(stop.Token));
        }

        await Task.Delay(TimeSpan.FromSeconds(warmup));
        // The server measured over exactly this window (bench/cpu-per-message.sh): its CPU time from /proc, and a
        // perf stat that counts only between "enable" and "disable" on its control fifo. Done here, at the window's
        // edges, rather than by a script that watches for markers and may be scheduled late on a loaded machine.
        var window = new ServerWindow(int.Parse(Option("server-pid", "0"), inv), Option("perf-control", ""));
        window.Start();
        long before = Total(clients);
        var clock = Stopwatch.StartNew();
        bool markers = args.Contains("--markers");
        if (markers) Console.Error.WriteLine("window start");
        await Task.Delay(TimeSpan.FromSeconds(duration));
        long after = Total(clients);
        window.Stop();
        if (markers) Console.Error.WriteLine($"window end {after - before}{window.Report}");
        double seconds = clock.Elapsed.TotalSeconds;
        stop.Cancel();
        foreach (EchoClient c in clients) c.Abort();
        try { await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }

        long errors = 0;
        foreach (EchoClient c in clients) errors += c.Errors;
        double rate = (after - before) / seconds;
        // label connections size msgs/s MiB/s(each way) errors
        Console.WriteLine(string.Format(inv, "{0}\t{1}\t{2}\t{3:F0}\t{4:F1}\t{5}", label, connections, size, rate, rate * size / (1024 * 1024), errors));
        return errors == 0 && after > before ? 0 : 1;
    }

    private static long Total(EchoClient[] clients)
    {
        long sum = 0;
        foreach (EchoClient c in clients) sum += Volatile.Read(ref c.Completed);
        return sum;
    }
}

/// <summary>One connection: its own upgrade, its own masked frames, its own frame parser for the echoes.</summary>
internal sealed class EchoClient
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly byte[] _payload;
    private readonly byte[] _frame;
    private readonly int _headerLength;
    private readonly byte[] _receive = new byte[64 * 1024];
    private int _receiveStart;
    private int _receiveEnd;
    private uint _random;
    public long Completed;
    public long Errors;

    public EchoClient(int size, int seed)
    {
        _payload = new byte[size];
        new Random(seed).NextBytes(_payload);
        _headerLength = 2 + (size <= 125 ? 0 : size <= 65535 ? 2 : 8) + 4;
        _frame = new byte[_headerLength + size];
        _frame[0] = 0x82; // FIN + binary
        if (size <= 125)
        {
            _frame[1] = (byte)(0x80 | size);
        }
        else if (size <= 65535)
        {
            _frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(_frame.AsSpan(2), (ushort)size);
        }
        else
        {
            _frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(_frame.AsSpan(2), (ulong)size);
        }
        _random = (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
    }

    public async Task ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        await _socket.ConnectAsync(endpoint, cancellationToken);
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        byte[] request = Encoding.ASCII.GetBytes(
            $"GET / HTTP/1.1\r\nHost: {endpoint}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n");
        await _socket.SendAsync(request, SocketFlags.None, cancellationToken);
        // Read the response head; anything after the blank line is frame data.
        while (true)
        {
            int n = await _socket.ReceiveAsync(_receive.AsMemory(_receiveEnd), SocketFlags.None, cancellationToken);
            if (n == 0) throw new IOException("the server closed during the handshake");
            _receiveEnd += n;
            int end = _receive.AsSpan(0, _receiveEnd).IndexOf("\r\n\r\n"u8);
            if (end < 0) continue;
            if (!_receive.AsSpan(0, end).StartsWith("HTTP/1.1 101"u8))
                throw new IOException("upgrade refused: " + Encoding.ASCII.GetString(_receive, 0, end));
            _receiveStart = end + 4;
            return;
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                MaskFrame();
                int sent = 0;
                while (sent < _frame.Length)
                {
                    sent += await _socket.SendAsync(_frame.AsMemory(sent), SocketFlags.None, stop);
                }
                if (!await ReadEchoAsync(stop)) return;
                Completed++;
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (SocketException) when (stop.IsCancellationRequested) { }
        catch (Exception e)
        {
            Interlocked.Increment(ref Errors);
            Console.Error.WriteLine($"connection failed: {e.Message}");
        }
    }

    public void Abort()
    {
        try { _socket.Close(0); } catch (Exception) { }
    }

    /// <summary>A fresh mask key (xorshift) and the payload XORed into the frame.</summary>
    private void MaskFrame()
    {
        uint x = _random;
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        _random = x;
        BinaryPrimitives.WriteUInt32LittleEndian(_frame.AsSpan(_headerLength - 4), x);
        ulong key = x | ((ulong)x << 32);
        Span<byte> body = _frame.AsSpan(_headerLength);
        ReadOnlySpan<byte> payload = _payload;
        int i = 0;
        for (; i + 8 <= payload.Length; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(body.Slice(i), BinaryPrimitives.ReadUInt64LittleEndian(payload.Slice(i)) ^ key);
        }
        for (; i < payload.Length; i++) body[i] = (byte)(payload[i] ^ (byte)(x >> (8 * (i & 3))));
    }

    /// <summary>Reads frames until a data message of the payload's length has ended (the echo may come in several frames).</summary>
    private async ValueTask<bool> ReadEchoAsync(CancellationToken stop)
    {
        long message = 0;
        while (true)
        {
            // Parse every complete frame header in the buffer, skipping payload bytes as they arrive.
            while (true)
            {
                int available = _receiveEnd - _receiveStart;
                if (available < 2) break;
                byte b0 = _receive[_receiveStart], b1 = _receive[_receiveStart + 1];
                if ((b1 & 0x80) != 0) throw new IOException("masked frame from the server");
                int len7 = b1 & 0x7F;
                int header = len7 <= 125 ? 2 : len7 == 126 ? 4 : 10;
                if (available < header) break;
                long length = len7 <= 125 ? len7 : len7 == 126
                    ? BinaryPrimitives.ReadUInt16BigEndian(_receive.AsSpan(_receiveStart + 2))
                    : (long)BinaryPrimitives.ReadUInt64BigEndian(_receive.AsSpan(_receiveStart + 2));
                int opcode = b0 & 0x0F;
                if (opcode >= 8) throw new IOException($"unexpected control frame (opcode {opcode})");
                // Consume the header and as much payload as is here; wait for the rest of the payload.
                _receiveStart += header;
                long remaining = length;
                while (true)
                {
                    int take = (int)Math.Min(remaining, _receiveEnd - _receiveStart);
                    _receiveStart += take;
                    remaining -= take;
                    if (remaining == 0) break;
                    _receiveStart = _receiveEnd = 0;
                    int n = await _socket.ReceiveAsync(_receive.AsMemory(), SocketFlags.None, stop);
                    if (n == 0) throw new IOException("the server closed the connection");
                    _receiveEnd = n;
                }
                message += length;
                if ((b0 & 0x80) != 0)
                {
                    if (message != _payload.Length) throw new IOException($"echo of {message} bytes, sent {_payload.Length}");
                    return true;
                }
            }
            // Need more bytes: keep the partial header at the start of the buffer.
            int left = _receiveEnd - _receiveStart;
            _receive.AsSpan(_receiveStart, left).CopyTo(_receive);
            _receiveStart = 0;
            _receiveEnd = left;
            int read = await _socket.ReceiveAsync(_receive.AsMemory(_receiveEnd), SocketFlags.None, stop);
            if (read == 0) throw new IOException("the server closed the connection");
            _receiveEnd += read;
        }
    }
}

/// <summary>Measures the server over the load window: CPU ticks from /proc/PID/stat, and perf stat enabled through its control fifos.</summary>
internal sealed class ServerWindow(int pid, string perfControl)
{
    private long _ticks = -1;
    private StreamWriter? _control;
    private StreamReader? _ack;

    public string Report => _ticks >= 0 ? $" server_ticks={_ticks}" : "";

    public void Start()
    {
        if (perfControl.Length > 0)
        {
            string[] fifos = perfControl.Split(',');
            _control = new StreamWriter(new FileStream(fifos[0], FileMode.Open, FileAccess.Write)) { AutoFlush = true };
            _ack = new StreamReader(new FileStream(fifos[1], FileMode.Open, FileAccess.Read));
            Perf("enable");
        }
        if (pid > 0) _ticks = -Ticks();
    }

    public void Stop()
    {
        if (pid > 0) _ticks += Ticks();
        if (_control is not null)
        {
            Perf("disable");
            _control.Dispose();
            _ack!.Dispose();
        }
    }

    private void Perf(string command)
    {
        _control!.WriteLine(command);
        _ack!.ReadLine();
    }

    /// <summary>utime + stime of every thread of the process (fields 14 and 15 of /proc/PID/stat).</summary>
    private long Ticks()
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
        return long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
    }
}
