%% snow_peer_bench: the Erlang/OTP side of snow's peer comparison.
%%
%% Build and run (compare.py does exactly this):
%%
%%   erlc -o DIR snow_peer_bench.erl
%%   erl -noshell +S 2 +P 2000000 -pa DIR \
%%       -eval 'snow_peer_bench:main(["pingpong","1000000"])' -s init stop
%%
%% +S 2: two schedulers, one per core of the comparison machine (CAF and snow run two
%% workers too). +P 2000000: the default process limit (262,144) is too small for the
%% spawn workload.
%%
%% main/1 takes [Workload] or [Workload, N] as strings and prints exactly one line
%%   RESULT <workload> <metric>=<value> ...
%% on standard output. Workloads: spawn pingpong fanin ring selective call call_queued,
%% and remote_pingpong remote_throughput.
%%
%% The remote workloads run between two OS processes: this node must be distributed
%% (-sname), and it starts the second node itself with peer:start_link/1 (OTP 25), giving
%% it the same distribution flags (-proto_dist, -ssl_dist_optfile, -start_epmd, the
%% cookie) and code path, and stops it at the end. Distribution is plain TCP by default,
%% TLS with `-proto_dist inet_tls -ssl_dist_optfile FILE` (compare.py writes FILE):
%%
%%   erl -noshell +S 2 -sname bench -setcookie snow_bench -pa DIR \
%%       [-proto_dist inet_tls -ssl_dist_optfile dist.conf] \
%%       -eval 'snow_peer_bench:main(["remote_pingpong","20000"])' -s init stop
-module(snow_peer_bench).

-behaviour(gen_server).

-export([main/1]).
%% Run on the peer node by the remote workloads.
-export([remote_pong/0, remote_sink/1]).
%% gen_server callbacks (the echo service used by `call`, `selective` and `call_queued`).
-export([init/1, handle_call/3, handle_cast/2]).

-define(FANIN_SENDERS, 16).
-define(RING_SIZE, 1000).
-define(SELECTIVE_JUNK, 10000).

main([W]) -> run(W, default_n(W));
main([W, N]) -> run(W, parse_n(N));
main(_) ->
    io:format(standard_error,
              "usage: main([Workload]) or main([Workload, N])~n", []),
    erlang:halt(2).

default_n("spawn") -> 1000000;
default_n("pingpong") -> 1000000;
default_n("fanin") -> 500000;
default_n("ring") -> 10000000;
default_n("selective") -> 100000;
default_n("call") -> 1000000;
default_n("call_queued") -> 200000;
default_n("remote_pingpong") -> 20000;
default_n("remote_throughput") -> 1000000;
default_n(W) -> unknown(W).

parse_n(S) ->
    try list_to_integer(S)
    catch error:badarg -> round(list_to_float(S))
    end.

unknown(W) ->
    io:format(standard_error, "unknown workload ~s~n", [W]),
    erlang:halt(2).

run(W, N) ->
    io:format(standard_error, "snow_peer_bench: OTP ~s, ~p schedulers, N=~p~n",
              [erlang:system_info(otp_release),
               erlang:system_info(schedulers_online), N]),
    Line = case W of
               "spawn" -> spawn_bench(N);
               "pingpong" -> pingpong(N);
               "fanin" -> fanin(N);
               "ring" -> ring(N);
               "selective" -> selective(N);
               "call" -> call(N);
               "call_queued" -> call_queued(N);
               "remote_pingpong" -> remote_pingpong(N);
               "remote_throughput" -> remote_throughput(N);
               _ -> unknown(W)
           end,
    io:format("RESULT ~s~n", [Line]).

now_ns() -> erlang:monotonic_time(nanosecond).

seconds_since(T0) -> (now_ns() - T0) / 1.0e9.

rate(Count, T0) -> round(Count / seconds_since(T0)).

%% -- spawn -------------------------------------------------------------------------

%% N processes, each waits for one message and exits.
%%
%% bytes_per_proc is the growth of the emulator's resident set size (VmRSS of
%% /proc/self/status, read by the emulator itself, so it is the BEAM OS process)
%% between "nothing spawned" and "all N spawned and waiting", divided by N: the same
%% measurement as on the C++ side, including allocator slack and the list of N pids the
%% benchmark holds (16 bytes a cons cell; CAF keeps an 8-byte handle per actor).
%% vm_bytes_per_proc is the same delta by the VM's own accounting
%% (erlang:memory(total)), which leaves out carrier slack; process_info(P, memory) of
%% one idle process is printed to stderr for reference.
spawn_bench(N) ->
    erlang:garbage_collect(),
    Rss0 = rss_bytes(),
    Mem0 = erlang:memory(total),
    Base = erlang:system_info(process_count),
    T0 = now_ns(),
    Pids = spawn_waiters(N, []),
    TSpawned = seconds_since(T0),
    %% spawn/1 allocates the process and makes it runnable; wait until every one has
    %% run to its receive (the run queues are empty).
    wait_run_queues_empty(),
    TReady = seconds_since(T0),
    Rss1 = rss_bytes(),
    Mem1 = erlang:memory(total),
    {memory, One} = erlang:process_info(hd(Pids), memory),
    lists:foreach(fun(P) -> P ! go end, Pids),
    TSent = seconds_since(T0),
    wait_process_count(Base),
    Wall = seconds_since(T0),
    io:format(standard_error,
              "spawn: spawned ~.3f s, all waiting ~.3f s, sent ~.3f s, all done ~.3f s;"
              " process_info(memory) of one waiter = ~p bytes~n",
              [TSpawned, TReady, TSent, Wall, One]),
    io_lib:format("spawn wall_s=~.3f bytes_per_proc=~p vm_bytes_per_proc=~p",
                  [Wall, round((Rss1 - Rss0) / N), round((Mem1 - Mem0) / N)]).

waiter() ->
    receive _ -> ok end.

spawn_waiters(0, Acc) -> Acc;
spawn_waiters(I, Acc) -> spawn_waiters(I - 1, [spawn(fun waiter/0) | Acc]).

wait_run_queues_empty() ->
    case erlang:statistics(total_run_queue_lengths_all) of
        0 -> ok;
        _ -> timer:sleep(1), wait_run_queues_empty()
    end.

%% All waiters have exited when the process count is back to where it was.
wait_process_count(Base) ->
    case erlang:system_info(process_count) =< Base of
        true -> ok;
        false -> timer:sleep(1), wait_process_count(Base)
    end.

rss_bytes() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    [_, Rest] = binary:split(Status, <<"VmRSS:">>),
    [Kb | _] = string:lexemes(binary_to_list(Rest), " \t\n"),
    list_to_integer(Kb) * 1024.

%% -- pingpong ----------------------------------------------------------------------

pingpong(N) ->
    Parent = self(),
    Pong = spawn(fun pong/0),
    T0 = now_ns(),
    spawn(fun() -> ping(Pong, N), Parent ! done end),
    receive done -> ok end,
    Rate = rate(N, T0),
    Pong ! stop,
    io_lib:format("pingpong rt_per_s=~p", [Rate]).

pong() ->
    receive
        {ping, From, X} -> From ! {pong, X}, pong();
        stop -> ok
    end.

ping(_Pong, 0) -> ok;
ping(Pong, I) ->
    Pong ! {ping, self(), I},
    receive {pong, I} -> ping(Pong, I - 1) end.

%% -- fanin -------------------------------------------------------------------------

fanin(N) ->
    Parent = self(),
    Total = N * ?FANIN_SENDERS,
    T0 = now_ns(),
    R = spawn(fun() -> fanin_recv(Total), Parent ! done end),
    [spawn(fun() -> fanin_send(R, N) end) || _ <- lists:seq(1, ?FANIN_SENDERS)],
    receive done -> ok end,
    io_lib:format("fanin msgs_per_s=~p", [rate(Total, T0)]).

fanin_recv(0) -> ok;
fanin_recv(K) -> receive _ -> fanin_recv(K - 1) end.

fanin_send(_R, 0) -> ok;
fanin_send(R, I) -> R ! I, fanin_send(R, I - 1).

%% -- ring --------------------------------------------------------------------------

%% 1,000 processes in a ring pass a token that each decrements; the one that sees 0
%% tells the parent. N hops in all.
ring(N) ->
    Parent = self(),
    Nodes = [spawn(fun() -> ring_init(Parent) end) || _ <- lists:seq(1, ?RING_SIZE)],
    Nexts = tl(Nodes) ++ [hd(Nodes)],
    lists:foreach(fun({P, Next}) -> P ! {next, Next} end, lists:zip(Nodes, Nexts)),
    T0 = now_ns(),
    hd(Nodes) ! {token, N},
    receive done -> ok end,
    Rate = rate(N, T0),
    lists:foreach(fun(P) -> exit(P, kill) end, Nodes),
    io_lib:format("ring hops_per_s=~p", [Rate]).

ring_init(Parent) ->
    receive {next, Next} -> ring_loop(Parent, Next) end.

ring_loop(Parent, Next) ->
    receive
        {token, 0} -> Parent ! done, ring_loop(Parent, Next);
        {token, T} -> Next ! {token, T - 1}, ring_loop(Parent, Next)
    end.

%% -- call / selective ----------------------------------------------------------------

%% The echo service.
init([]) -> {ok, nostate}.
handle_call({echo, X}, _From, S) -> {reply, X, S}.
handle_cast(_Msg, S) -> {noreply, S}.

%% Calls/second of `Calls` sequential gen_server:call/2 (default 5 s timeout, as
%% ordinary code uses it) from a fresh process whose mailbox first gets `Junk`
%% unrelated messages. gen_server:call waits for its reply with a selective receive on
%% a fresh monitor reference, which the compiler marks (the receive-marker
%% optimisation), so the junk is not rescanned on every call.
timed_calls(Server, Calls, Junk) ->
    Parent = self(),
    spawn(fun() ->
                  Self = self(),
                  [Self ! {junk, I} || I <- lists:seq(1, Junk)],
                  T0 = now_ns(),
                  call_loop(Server, Calls),
                  Rate = rate(Calls, T0),
                  {message_queue_len, Left} = process_info(Self, message_queue_len),
                  Junk = Left,
                  Parent ! {rate, Rate}
          end),
    receive {rate, R} -> R end.

call_loop(_Server, 0) -> ok;
call_loop(Server, I) ->
    I = gen_server:call(Server, {echo, I}),
    call_loop(Server, I - 1).

call(N) ->
    {ok, S} = gen_server:start(?MODULE, [], []),
    _ = timed_calls(S, N div 10 + 1, 0),               % warm-up
    Rate = timed_calls(S, N, 0),
    gen_server:stop(S),
    io_lib:format("call calls_per_s=~p", [Rate]).

%% {EmptyRate, QueuedRate}: N calls from a fresh process with an empty mailbox, then N
%% from one with ?SELECTIVE_JUNK messages queued (left there for the whole run).
empty_and_queued(N) ->
    {ok, S} = gen_server:start(?MODULE, [], []),
    _ = timed_calls(S, N div 10 + 1, 0),               % warm-up
    Empty = timed_calls(S, N, 0),
    Queued = timed_calls(S, N, ?SELECTIVE_JUNK),
    gen_server:stop(S),
    {Empty, Queued}.

selective(N) ->
    {Empty, Queued} = empty_and_queued(N),
    io_lib:format("selective calls_per_s_queued=~p calls_per_s_empty=~p ratio=~.3f",
                  [Queued, Empty, Queued / Empty]).

%% snow's `selective` is a bare make_ref/send/receive and its `call_queued` a service
%% call; in Erlang both are gen_server:call, so this is the same run under snow's name.
call_queued(N) ->
    {Empty, Queued} = empty_and_queued(N),
    io_lib:format("call_queued calls_per_s_empty=~p calls_per_s_queued=~p ratio=~.3f",
                  [Empty, Queued, Queued / Empty]).

%% -- remote workloads: two nodes, two OS processes ---------------------------------------

%% Starts the second node (a child OS process of this emulator) with this node's
%% distribution flags and code path, and a watchdog that halts this node if the
%% connection to it is lost (the receives below wait without a timeout).
start_peer() ->
    case is_alive() of
        true -> ok;
        false ->
            io:format(standard_error, "remote workloads need a distributed node "
                      "(erl -sname NAME -setcookie COOKIE ...)~n", []),
            erlang:halt(2)
    end,
    Flags = lists:append([["-" ++ atom_to_list(K), V]
                          || K <- [proto_dist, ssl_dist_optfile, start_epmd],
                             {ok, [[V | _] | _]} <- [init:get_argument(K)]]),
    Args = ["+S", "2", "-setcookie", atom_to_list(erlang:get_cookie()),
            "-pa", filename:dirname(code:which(?MODULE))] ++ Flags,
    {ok, Peer, Node} = peer:start_link(#{name => peer:random_name(snow_bench_peer),
                                         args => Args}),
    Self = self(),
    Watchdog = spawn_link(fun() ->
                                  monitor_node(Node, true),
                                  receive
                                      {nodedown, Node} ->
                                          io:format(standard_error,
                                                    "FAILED: node ~p down~n", [Node]),
                                          erlang:halt(1);
                                      {stop, Self} -> ok
                                  end
                          end),
    Proto = case init:get_argument(proto_dist) of
                {ok, [[P | _] | _]} -> P;
                _ -> "inet_tcp"
            end,
    io:format(standard_error, "snow_peer_bench: ~p -> peer ~p over ~s~n",
              [node(), Node, Proto]),
    {Peer, Node, Watchdog}.

stop_peer({Peer, _Node, Watchdog}) ->
    unlink(Watchdog),
    Watchdog ! {stop, self()},
    peer:stop(Peer).

%% N/10 untimed round trips, then N timed ones, with a process on the peer node.
remote_pingpong(N) ->
    P = {_, Node, _} = start_peer(),
    Pong = spawn(Node, ?MODULE, remote_pong, []),
    ping(Pong, N div 10),
    T0 = now_ns(),
    ping(Pong, N),
    S = seconds_since(T0),
    exit(Pong, kill),
    stop_peer(P),
    io_lib:format("remote_pingpong rt_per_s=~p us_per_rt=~.1f",
                  [round(N / S), S * 1.0e6 / N]).

remote_pong() ->
    receive {ping, From, X} -> From ! {pong, X}, remote_pong() end.

%% One round trip with the sink on the peer node, then N messages {data, I, Payload} with
%% a 56-byte binary payload (64 bytes of content, as on the C++ sides); the clock stops
%% when the sink's {done, N} arrives.
remote_throughput(N) ->
    P = {_, Node, _} = start_peer(),
    Sink = spawn(Node, ?MODULE, remote_sink, [N]),
    Sink ! {ping, self(), 0},
    receive {pong, 0} -> ok end,
    Payload = binary:copy(<<"p">>, 56),
    T0 = now_ns(),
    stream(Sink, 0, N, Payload),
    receive {done, Count} -> Count = N end,
    S = seconds_since(T0),
    stop_peer(P),
    io_lib:format("remote_throughput msgs_per_s=~p mb_per_s=~.1f",
                  [round(N / S), N * 64 / S / 1.0e6]).

stream(_Sink, N, N, _Payload) -> ok;
stream(Sink, I, N, Payload) ->
    Sink ! {data, I, Payload},
    stream(Sink, I + 1, N, Payload).

remote_sink(N) ->
    receive
        {ping, From, X} ->
            From ! {pong, X},
            sink_loop(From, 0, N)
    end.

sink_loop(From, N, N) -> From ! {done, N};
sink_loop(From, I, N) ->
    receive
        {data, I, _} -> sink_loop(From, I + 1, N);
        Other ->
            io:format(standard_error, "FAILED: remote_throughput: got ~p, expected ~p~n",
                      [Other, I]),
            erlang:halt(1)
    end.
