set grid
set key outside right
set xlabel '#params'
set ylabel 'test accuracy (%)'
set logscale x
set terminal pngcairo size 900,560
set output 'docs/results/fmnist-nb201/report/plots/acc_vs_params.png'
plot 'docs/results/fmnist-nb201/report/plots/acc_vs_params_0.dat' using 1:2 with points pt 7 ps 0.8 title 'family nb201'
set terminal svg size 900,560
set output 'docs/results/fmnist-nb201/report/plots/acc_vs_params.svg'
plot 'docs/results/fmnist-nb201/report/plots/acc_vs_params_0.dat' using 1:2 with points pt 7 ps 0.8 title 'family nb201'
