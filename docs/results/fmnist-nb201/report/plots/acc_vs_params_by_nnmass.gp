set grid
set key outside right
set xlabel '#params'
set ylabel 'test accuracy (%)'
set logscale x
set palette rgbformulae 33,13,10
set cblabel 'NN-Mass'
set terminal pngcairo size 900,560
set output 'docs/results/fmnist-nb201/report/plots/acc_vs_params_by_nnmass.png'
plot 'docs/results/fmnist-nb201/report/plots/acc_vs_params_by_nnmass_0.dat' using 1:2:3 with points pt 7 ps 0.8 lc palette notitle
set terminal svg size 900,560
set output 'docs/results/fmnist-nb201/report/plots/acc_vs_params_by_nnmass.svg'
plot 'docs/results/fmnist-nb201/report/plots/acc_vs_params_by_nnmass_0.dat' using 1:2:3 with points pt 7 ps 0.8 lc palette notitle
